using System.Text.Json;
using Platform.Jobs.Models;
using Platform.Training.Data;
using Platform.Training.Tabular;

namespace Platform.Web.Jobs;

/// <summary>
/// One row for a tabular model, from what the playground and the API send: the form's column fields,
/// a JSON object of column values, or a CSV row (the values in the model's column order, or a header
/// line and a values line).
/// </summary>
internal static class TablePredictions
{
    /// <summary>The playground names its inputs "column.&lt;name&gt;" so they cannot collide with the form's own fields.</summary>
    public const string FieldPrefix = "column.";

    public const int MaxCsvLength = 100_000;

    public static async Task<ModelEndpoints.PlaygroundOutcome> PredictAsync(ModelQueries models, ModelView model,
        IReadOnlyDictionary<string, string?>? row, string? csv, string? variant, CancellationToken cancellationToken)
    {
        if (!ModelView.TryParseVariant(variant, out var selected) || selected == ModelVariant.Baseline)
            return new(null, ModelEndpoints.VariantHelp, null);
        if (selected is ModelVariant.Onnx or ModelVariant.Int8 && !model.HasOnnx)
            return new(null, ModelEndpoints.NoOnnx, null, selected);
        try
        {
            if (!string.IsNullOrWhiteSpace(csv))
                row = ParseCsvRow(csv, model.Table!);
            if (row is null || row.Count == 0)
                return new(null, "Give the row's values: a JSON object of column values, or a CSV row.", null);
            var predictions = await models.PredictTableAsync(model.JobId, [row], selected, cancellationToken);
            var input = string.Join(", ", row.Select(kv => $"{kv.Key}={kv.Value}"));
            return new(predictions?.FirstOrDefault(), predictions is null ? "This model does not classify table rows." : null, input, selected);
        }
        catch (InvalidDataException ex)
        {
            return new(null, ex.Message, null);
        }
    }

    /// <summary>The playground form's "column.*" fields; blank fields are missing values.</summary>
    public static Dictionary<string, string?> FromForm(IFormCollection form) =>
        form.Keys.Where(k => k.StartsWith(FieldPrefix, StringComparison.Ordinal))
            .ToDictionary(k => k[FieldPrefix.Length..], k => (string?)form[k].ToString(), StringComparer.Ordinal);

    /// <summary>A JSON body: {"row": {...}}, {"csv": "..."}, or the object of column values itself.</summary>
    public static (Dictionary<string, string?>? Row, string? Csv, string? Variant) FromJson(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("The body must be a JSON object: {\"row\": {column: value, ...}} or {\"csv\": \"v1,v2,...\"}.");
        string? variant = body.TryGetProperty("variant", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (body.TryGetProperty("csv", out var csv) && csv.ValueKind == JsonValueKind.String)
            return (null, csv.GetString(), variant);
        if (body.TryGetProperty("row", out var row))
            return (new Dictionary<string, string?>(TabularRow.FromJson(row), StringComparer.Ordinal), null, variant);
        var fields = new Dictionary<string, string?>(TabularRow.FromJson(body), StringComparer.Ordinal);
        fields.Remove("variant");
        return (fields, null, variant);
    }

    private static Dictionary<string, string?> ParseCsvRow(string csv, TabularPreprocessor table)
    {
        if (csv.Length > MaxCsvLength)
            throw new InvalidDataException($"The CSV row is longer than {MaxCsvLength:N0} characters.");
        using var reader = new CsvReader(new StringReader(csv.Trim()));
        var first = reader.ReadRecord() ?? throw new InvalidDataException("The CSV row is empty.");
        var second = reader.ReadRecord();
        if (reader.ReadRecord() is not null)
            throw new InvalidDataException("Send one row: its values, or a header line and a values line.");
        var names = second is null ? table.Columns.Select(c => c.Name).ToArray() : first.Select(h => h.Trim()).ToArray();
        var values = second ?? first;
        if (values.Length != names.Length)
        {
            throw new InvalidDataException(second is null
                ? $"The row has {values.Length} values; the model reads {names.Length} columns, in this order: {string.Join(", ", names)}."
                : $"The header names {names.Length} columns but the row has {values.Length} values.");
        }

        var row = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            if (!row.TryAdd(names[i], values[i]))
                throw new InvalidDataException($"The header names column '{names[i]}' twice.");
        }

        return row;
    }
}
