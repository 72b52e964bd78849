using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Platform.Jobs.Launch;

namespace Platform.Web.Api;

/// <summary>
/// What the framework cannot infer from the handlers: query parameters read from the request, the
/// multipart bodies, the event stream's second content type, the string enums, timestamps (written by
/// <see cref="UtcTimestampConverter"/>), an operationId for every operation and examples.
/// </summary>
internal static class ApiDocumentTransformers
{
    /// <summary>Every event type the job log holds today; a client should keep unknown ones (new kinds are added).</summary>
    public static readonly string[] EventTypes =
    [
        "queued", "claimed", "progress", "epoch", "checkpoint", "log", "baseline", "warning", "metrics", "quota",
        "interrupted", "requeued", "runtime-cap", "cancel-requested", "succeeded", "failed", "cancelled",
    ];

    private static readonly Dictionary<(Type, string), string[]> Enums = new()
    {
        [(typeof(LaunchJobRequest), "preset")] = ["fast", "balanced", "best"],
        [(typeof(HyperparametersDto), "preset")] = ["fast", "balanced", "best"],
        [(typeof(JobEventApiDto), "type")] = EventTypes,
        [(typeof(JobDto), "device")] = ["cpu", "cuda"],
        [(typeof(ModelDto), "kind")] = ["text", "image", "tabular"],
        [(typeof(BaseModelDto), "kind")] = ["text", "image", "tabular"],
        [(typeof(BaseModelDto), "scope")] = ["platform", "organisation"],
        [(typeof(BaseModelImportDto), "state")] = ["queued", "downloading", "validating", "done", "failed", "cancelled"],
        [(typeof(PredictTextRequest), "variant")] = ["model", "baseline", "onnx", "int8"],
        [(typeof(BatchPredictRequest), "variant")] = ["model", "baseline", "onnx", "int8"],
        [(typeof(PredictionDto), "variant")] = ["model", "baseline", "onnx", "int8"],
    };

    private static readonly JsonObject LaunchExample = new()
    {
        ["datasetId"] = "0193a8f2-5b1e-7c3d-9f00-4a2b6c8d0e11",
        ["baseModel"] = "bert-mini-random",
        ["preset"] = "fast",
        ["seed"] = 42,
    };

    public static Task SchemaAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (type == typeof(DateTimeOffset) || type == typeof(DateTimeOffset?))
        {
            schema.Type = type == typeof(DateTimeOffset) ? JsonSchemaType.String : JsonSchemaType.String | JsonSchemaType.Null;
            schema.Format = "date-time";
            schema.Examples = [JsonValue.Create("2026-12-01T09:30:00.120000Z")!];
        }
        if (schema.Properties is { } properties)
        {
            foreach (var (name, property) in properties)
            {
                if (Enums.TryGetValue((type, name), out var values) && property is OpenApiSchema concrete)
                    concrete.Enum = values.Select(v => (JsonNode)JsonValue.Create(v)!).ToList();
            }
        }
        if (type == typeof(Microsoft.AspNetCore.Mvc.ProblemDetails) && schema.Properties is { } problem)
        {
            problem["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Machine-readable reason, e.g. invalid_parameter, not_found, unknown_field, idempotency_key_reused." };
            problem["param"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request field, query parameter or header at fault, when one is." };
        }
        if (type == typeof(LaunchJobRequest))
            schema.Examples = [LaunchExample.DeepClone()];
        return Task.CompletedTask;
    }

    public static Task OperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description;
        // Endpoints mapped elsewhere (organisation export and erase) get one from their method and path.
        operation.OperationId ??= OperationIdOf(description.HttpMethod ?? "get", description.RelativePath ?? "");
        operation.Parameters ??= [];
        foreach (var parameter in QueryOf(operation.OperationId))
            operation.Parameters.Add(parameter);
        if (operation.Parameters.FirstOrDefault(p => p.Name == "variant") is OpenApiParameter { Schema: OpenApiSchema variant } variantParameter)
        {
            variant.Enum = ["model", "baseline"];
            variantParameter.Description = "model (default) or the linear baseline of a text model.";
        }
        // Declared with a content type but no body type (ZIP downloads): the body is a file.
        foreach (var declared in description.ActionDescriptor.EndpointMetadata.OfType<Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata>())
        {
            if (declared.Type is not null && declared.Type != typeof(void)
                || operation.Responses?.TryGetValue(declared.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture), out var response) != true
                || response is not OpenApiResponse concrete)
            {
                continue;
            }
            foreach (var mediaType in declared.ContentTypes.Where(t => t is "application/zip" or "application/octet-stream"))
            {
                concrete.Content ??= new Dictionary<string, OpenApiMediaType>();
                concrete.Content[mediaType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } };
            }
        }
        switch (operation.OperationId)
        {
            case "uploadDataset":
                operation.RequestBody = Multipart(new Dictionary<string, (IOpenApiSchema Schema, bool Required)>
                {
                    ["name"] = (Text("The dataset's name; a new upload under an existing name becomes its next version."), true),
                    ["textColumn"] = (Text("CSV: the column holding the text (default: text)."), false),
                    ["labelColumn"] = (Text("CSV: the column holding the label (default: label)."), false),
                    ["purpose"] = (Text("corpus: unlabelled text for pre-training (.txt a document per line, or a CSV's text column); "
                        + "tabular: a table of numeric and categorical columns, labelColumn its target.", "corpus", "tabular"), false),
                    ["excludeColumns"] = (Text("tabular: comma-separated columns to leave out (ids, leaks)."), false),
                    ["file"] = (Binary("The data, last: a CSV (text,label), a ZIP of label/image files, or a .txt corpus."), true),
                }, "Fields before the file: the server reads them first and streams the file.");
                break;
            case "uploadBaseModel":
                operation.RequestBody = Multipart(new Dictionary<string, (IOpenApiSchema Schema, bool Required)>
                {
                    ["name"] = (Text("The model's name in the organisation's catalog."), true),
                    ["description"] = (Text("What the model is, for the launch form (at most 500 characters)."), false),
                    ["file"] = (Binary("The model folder as a ZIP, last: config.json, vocab.txt and model.safetensors (tokenizer_config.json optional)."), true),
                }, "Fields before the file: the server reads them first and streams the file.");
                break;
            case "predict":
                if (operation.RequestBody?.Content is { } content && content.TryGetValue("multipart/form-data", out var form))
                {
                    form.Schema = Object(new Dictionary<string, (IOpenApiSchema, bool)>
                    {
                        ["image"] = (Binary("For an image model: a PNG or JPEG (at most 10 MB)."), false),
                        ["text"] = (Text("For a text model: the text to classify."), false),
                        ["variant"] = (Text("model (default), baseline (text), onnx or int8 (image and tabular models, through ONNX Runtime).",
                            "model", "baseline", "onnx", "int8"), false),
                    });
                }
                break;
            case "listJobEvents":
                if (operation.Responses?.TryGetValue("200", out var ok) == true && ok.Content?.TryGetValue("text/event-stream", out var stream) == true)
                {
                    stream.Schema = new OpenApiSchema
                    {
                        Type = JsonSchemaType.String,
                        Description = "Server-sent events: `id: {eventId}`, `event: {type}`, `data: {JobEventApiDto as JSON}`; a final `event: end` with `{\"state\": ...}`.",
                    };
                    stream.Example = "id: 42\nevent: epoch\ndata: {\"id\":42,\"at\":\"2026-12-01T09:30:00.120000Z\",\"type\":\"epoch\",\"message\":\"Epoch 1: train loss 0.6931\",\"data\":{\"epoch\":1,\"trainLoss\":0.6931}}\n\n";
                }
                break;
        }
        return Task.CompletedTask;
    }

    private static string OperationIdOf(string method, string path)
    {
        var words = path.Replace("api/v1/", "", StringComparison.Ordinal).Split('/', '-')
            .Where(w => w.Length > 0 && !w.StartsWith('{'))
            .Select(w => char.ToUpperInvariant(w[0]) + w[1..]);
        return method.ToLowerInvariant() + string.Concat(words);
    }

    /// <summary>The query parameters the reference documents for an operation: the only ones it accepts (<see cref="KnownQueryParameters"/>).</summary>
    public static IEnumerable<string> QueryParameterNames(string operationId) =>
        QueryOf(operationId).Where(p => p.In == ParameterLocation.Query).Select(p => p.Name!);

    private static IEnumerable<OpenApiParameter> QueryOf(string operationId)
    {
        var paged = operationId is "listDatasets" or "listJobs" or "listModels" or "listJobEvents" or "listJobCheckpoints" or "listBaseModels" or "listApiKeys"
            or "listValidationPredictions";
        if (paged)
        {
            yield return Query("limit", new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = "100", Default = 20 }, "Items per page (1-100, default 20).");
            yield return Query("after", Text(null), "The lastId of the previous page: the page starts after that item.");
        }
        if (operationId is "listJobs" or "listModels")
        {
            if (operationId == "listJobs")
            {
                yield return Query("state", Text(null, JobFilterParser.States), "Only jobs in this state.");
                yield return Query("kind", Text(null, [.. JobKinds.All.Select(k => k.Name)]), "Only jobs of this kind.");
            }
            yield return Query("datasetId", new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" }, "Only jobs that train on this dataset.");
            yield return Query("baseModel", Text(null), "Only jobs launched from this base model (its name).");
            yield return Query("createdAfter", new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" }, "RFC 3339, with its offset.");
            yield return Query("createdBefore", new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" }, "RFC 3339, with its offset.");
        }
        if (operationId == "listDatasets")
            yield return Query("kind", Text(null, "text", "image", "corpus", "tabular"), "Only datasets of this kind.");
        if (operationId == "listBaseModels")
            yield return Query("kind", Text(null, "text", "image", "tabular"), "Only base models for this kind of data.");
        if (operationId == "listJobEvents")
        {
            yield return Query("type", Text(null, EventTypes), "Only events of this type (JSON only).");
            yield return Query("order", Text("oldest", "oldest", "newest"),
                "JSON only: oldest first (the default; after= pages forward) or newest first (after= pages back to older events).");
            yield return new OpenApiParameter
            {
                Name = "Last-Event-ID", In = ParameterLocation.Header, Schema = Text(null),
                Description = "Event stream: resume after this event id (browsers send it on reconnect).",
            };
        }
        if (operationId == "listValidationPredictions")
            yield return Query("misclassified", new OpenApiSchema { Type = JsonSchemaType.Boolean },
                "true: only the misclassified examples, the most confident mistake first; false or absent: every example in the split's order.");
        if (operationId == "getJobLossCurve")
            yield return Query("points", new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "2", Maximum = "5000", Default = 300 }, "Most points to return.");
        if (operationId is "uploadDataset" or "launchJob" or "launchPretraining" or "startBaseModelImport" or "uploadBaseModel" or "createApiKey")
        {
            yield return new OpenApiParameter
            {
                Name = IdempotencyMiddleware.Header, In = ParameterLocation.Header, Schema = Text(null),
                Description = "Makes a retry safe: the first answer is replayed for 24 h; another request under the same key is refused (422).",
            };
        }
    }

    private static OpenApiParameter Query(string name, IOpenApiSchema schema, string description) =>
        new() { Name = name, In = ParameterLocation.Query, Schema = schema, Description = description };

    private static OpenApiSchema Text(string? description, params string[] values) => new()
    {
        Type = JsonSchemaType.String,
        Description = description,
        Enum = values.Length == 0 ? null : values.Select(v => (JsonNode)JsonValue.Create(v)!).ToList(),
    };

    private static OpenApiSchema Binary(string description) => new() { Type = JsonSchemaType.String, Format = "binary", Description = description };

    private static OpenApiSchema Object(IDictionary<string, (IOpenApiSchema Schema, bool Required)> fields) => new()
    {
        Type = JsonSchemaType.Object,
        Properties = fields.ToDictionary(f => f.Key, f => f.Value.Schema),
        Required = fields.Where(f => f.Value.Required).Select(f => f.Key).ToHashSet(),
    };

    private static OpenApiRequestBody Multipart(IDictionary<string, (IOpenApiSchema Schema, bool Required)> fields, string description) => new()
    {
        Required = true,
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["multipart/form-data"] = new()
            {
                Schema = Object(fields),
                // The order matters to the server: encoding lists the file last.
                Encoding = new Dictionary<string, OpenApiEncoding> { ["file"] = new() { ContentType = "application/octet-stream" } },
            },
        },
    };
}
