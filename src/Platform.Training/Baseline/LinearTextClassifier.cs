using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Training.Data;
using Platform.Training.Metrics;
using Platform.Training.SafeTensors;
using Platform.Training.Training;

namespace Platform.Training.Baseline;

/// <summary>
/// The linear text baseline as a usable model: TF-IDF features and a logistic-regression layer,
/// predicting like <see cref="BertClassifier.Predict"/> (label, softmax scores, logits).
/// </summary>
/// <remarks>
/// Its folder (the <c>baseline/</c> sub-folder of a text model folder) holds <c>config.json</c>
/// (model_type <c>tfidf_logistic_regression</c>, labels, featurisation settings, vocabulary and idf)
/// and <c>model.safetensors</c> (<c>weight</c> [labels, features] and <c>bias</c> [labels], float32):
/// logits = weight · x + bias, where x is the text's TF-IDF row. Immutable once built, so one instance
/// serves any number of threads.
/// </remarks>
public sealed class LinearTextClassifier
{
    public const string ModelType = "tfidf_logistic_regression";
    public const int FormatVersion = 1;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    // Feature-major: the weights of feature j for every label side by side.
    private readonly float[] _weights;
    private readonly float[] _biases;

    internal LinearTextClassifier(IReadOnlyList<string> labels, TfidfFeaturizer featurizer, float[] weights, float[] biases, double c, int trainingRows)
    {
        if (weights.Length != featurizer.FeatureCount * labels.Count || biases.Length != labels.Count)
            throw new InvalidDataException($"weights for {weights.Length} values and {biases.Length} biases do not fit {featurizer.FeatureCount} features and {labels.Count} labels");
        Labels = labels.ToArray();
        Featurizer = featurizer;
        _weights = weights;
        _biases = biases;
        C = c;
        TrainingRows = trainingRows;
    }

    public IReadOnlyList<string> Labels { get; }

    /// <summary>The inverse regularisation strength the model was fitted with.</summary>
    public double C { get; }

    public int TrainingRows { get; }

    public int FeatureCount => Featurizer.FeatureCount;

    internal TfidfFeaturizer Featurizer { get; }

    /// <summary>Whether <paramref name="directory"/> holds a baseline (its config.json names this model type).</summary>
    public static bool IsModelFolder(string directory)
    {
        var path = Path.Combine(directory, ClassifierModel.ConfigFile);
        if (!File.Exists(path))
            return false;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("model_type", out var type) && type.ValueKind == JsonValueKind.String
                && type.GetString() == ModelType;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public IReadOnlyList<Prediction> Predict(IReadOnlyList<string> texts)
    {
        var classes = Labels.Count;
        var logits = new float[texts.Count * classes];
        Span<double> row = stackalloc double[classes];
        for (var i = 0; i < texts.Count; i++)
        {
            SoftmaxRegression.Logits(Featurizer.Transform(texts[i]), _weights, _biases, row);
            for (var k = 0; k < classes; k++)
                logits[i * classes + k] = (float)row[k];
        }

        return ClassifierModel.ToPredictions(logits, texts.Count, Labels);
    }

    /// <summary>Evaluates on labelled examples (all of them); a label the model does not know is an error.</summary>
    public ClassificationMetrics Evaluate(IReadOnlyList<TextExample> examples)
    {
        var labels = new LabelVocabulary(Labels);
        var truth = examples.Select(e => labels.GetId(e.Label ?? throw new InvalidDataException($"line {e.Line}: no label"))).ToArray();
        return ClassificationMetrics.FromLogits(truth, Logits(examples.Select(e => Featurizer.Transform(e.Text)).ToArray()), Labels);
    }

    /// <summary>Raw logits, row-major [rows × labels], for evaluation.</summary>
    internal float[] Logits(IReadOnlyList<SparseRow> rows)
    {
        var classes = Labels.Count;
        Span<double> row = stackalloc double[classes];
        var logits = new float[rows.Count * classes];
        for (var i = 0; i < rows.Count; i++)
        {
            SoftmaxRegression.Logits(rows[i], _weights, _biases, row);
            for (var k = 0; k < classes; k++)
                logits[i * classes + k] = (float)row[k];
        }

        return logits;
    }

    /// <summary>Predicted label ids, for evaluation.</summary>
    internal int[] PredictIds(IReadOnlyList<SparseRow> rows)
    {
        var classes = Labels.Count;
        Span<double> logits = stackalloc double[classes];
        var predicted = new int[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            SoftmaxRegression.Logits(rows[i], _weights, _biases, logits);
            var best = 0;
            for (var k = 1; k < classes; k++)
                best = logits[k] > logits[best] ? k : best;
            predicted[i] = best;
        }

        return predicted;
    }

    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        var settings = Featurizer.Settings;
        var config = new JsonObject
        {
            ["model_type"] = ModelType,
            ["format_version"] = FormatVersion,
            ["labels"] = new JsonArray([.. Labels.Select(l => JsonValue.Create(l))]),
            ["id2label"] = new JsonObject(Labels.Select((l, i) => KeyValuePair.Create(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (JsonNode?)l))),
            ["label2id"] = new JsonObject(Labels.Select((l, i) => KeyValuePair.Create(l, (JsonNode?)i))),
            ["tokenizer"] = new JsonObject
            {
                ["basic_tokenizer"] = "bert",
                ["do_lower_case"] = settings.LowerCase,
                ["keep_punctuation"] = settings.KeepPunctuation,
            },
            ["word_ngram_range"] = new JsonArray(1, settings.WordNgrams),
            ["char_ngram_range"] = settings.CharNgrams is { } chars ? new JsonArray(chars.Min, chars.Max) : null,
            ["char_analyzer"] = "char_wb",
            ["sublinear_tf"] = settings.SublinearTf,
            ["smooth_idf"] = true,
            ["norm"] = "l2",
            ["min_df"] = settings.MinDocumentFrequency,
            ["regularization_c"] = C,
            ["training_rows"] = TrainingRows,
            ["num_features"] = FeatureCount,
            ["word_vocabulary"] = new JsonArray([.. Featurizer.WordTerms.Select(t => JsonValue.Create(t))]),
            ["word_idf"] = new JsonArray([.. Featurizer.WordIdf.Select(v => JsonValue.Create(v))]),
            ["char_vocabulary"] = new JsonArray([.. Featurizer.CharTerms.Select(t => JsonValue.Create(t))]),
            ["char_idf"] = new JsonArray([.. Featurizer.CharIdf.Select(v => JsonValue.Create(v))]),
        };
        var configPath = Path.Combine(directory, ClassifierModel.ConfigFile);
        File.WriteAllText(configPath + ".tmp", config.ToJsonString(Indented));
        File.Move(configPath + ".tmp", configPath, overwrite: true);

        // Stored label-major like a torch Linear layer ([out, in]), which is what another tool expects.
        var classes = Labels.Count;
        var features = FeatureCount;
        var weight = new float[_weights.Length];
        for (var j = 0; j < features; j++)
        {
            for (var k = 0; k < classes; k++)
                weight[k * features + j] = _weights[j * classes + k];
        }

        SafeTensorsWriter.Write(Path.Combine(directory, ClassifierModel.WeightsFile),
        [
            SafeTensor.FromFloat32("weight", [classes, features], weight),
            SafeTensor.FromFloat32("bias", [classes], _biases),
        ], new Dictionary<string, string> { ["format"] = "pt", ["model_type"] = ModelType });
    }

    public static LinearTextClassifier Load(string directory)
    {
        var configPath = Path.Combine(directory, ClassifierModel.ConfigFile);
        if (!File.Exists(configPath))
            throw new FileNotFoundException($"{directory} has no {ClassifierModel.ConfigFile}", configPath);
        var weightsPath = Path.Combine(directory, ClassifierModel.WeightsFile);
        if (!File.Exists(weightsPath))
            throw new FileNotFoundException($"{directory} has no {ClassifierModel.WeightsFile}", weightsPath);
        try
        {
            var config = JsonNode.Parse(File.ReadAllBytes(configPath)) as JsonObject
                ?? throw new InvalidDataException("not a JSON object");
            if (config["model_type"]?.GetValue<string>() is var type && type != ModelType)
                throw new InvalidDataException($"model_type is '{type}', not '{ModelType}'");
            if (Value<int>(config, "format_version") is var version && version != FormatVersion)
                throw new InvalidDataException($"format_version {version} is not supported (expected {FormatVersion})");
            var labels = Strings(config, "labels");
            var chars = config["char_ngram_range"] is JsonArray range ? (Item<int>(range, 0), Item<int>(range, 1)) : ((int, int)?)null;
            var tokenizer = Required<JsonObject>(config, "tokenizer");
            var settings = new FeaturizerSettings(
                Item<int>(Required<JsonArray>(config, "word_ngram_range"), 1), chars, Value<bool>(tokenizer, "keep_punctuation"),
                Value<bool>(config, "sublinear_tf"), Value<int>(config, "min_df"), Value<bool>(tokenizer, "do_lower_case"));
            var featurizer = new TfidfFeaturizer(settings, Strings(config, "word_vocabulary"), Numbers(config, "word_idf"),
                Strings(config, "char_vocabulary"), Numbers(config, "char_idf"));

            var file = SafeTensorsFile.Read(weightsPath);
            var classes = labels.Count;
            var features = featurizer.FeatureCount;
            var weight = file["weight"];
            if (weight.Shape is not [var rows, var columns] || rows != classes || columns != features)
                throw new InvalidDataException($"weight has shape [{string.Join(", ", weight.Shape)}], expected [{classes}, {features}]");
            var stored = weight.ToFloat32();
            var weights = new float[stored.Length];
            for (var k = 0; k < classes; k++)
            {
                for (var j = 0; j < features; j++)
                    weights[j * classes + k] = stored[k * features + j];
            }

            var biases = file["bias"].ToFloat32();
            return new LinearTextClassifier(labels, featurizer, weights, biases, Value<double>(config, "regularization_c"), Value<int>(config, "training_rows"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException
            or InvalidDataException or ArgumentException)
        {
            throw new InvalidDataException($"{directory}: not a readable baseline model ({e.Message})", e);
        }
    }

    private static T Required<T>(JsonObject config, string name) where T : JsonNode =>
        config[name] as T ?? throw new InvalidDataException($"'{name}' is missing");

    private static T Value<T>(JsonObject config, string name) =>
        (config[name] ?? throw new InvalidDataException($"'{name}' is missing")).GetValue<T>();

    private static T Item<T>(JsonArray array, int index) =>
        (index < array.Count ? array[index] : null) is { } node ? node.GetValue<T>() : throw new InvalidDataException($"a range has no item {index}");

    private static List<string> Strings(JsonObject config, string name) =>
        Required<JsonArray>(config, name).Select(n => n?.GetValue<string>() ?? throw new InvalidDataException($"'{name}' holds a null")).ToList();

    private static List<double> Numbers(JsonObject config, string name) =>
        Required<JsonArray>(config, name).Select(n => n?.GetValue<double>() ?? throw new InvalidDataException($"'{name}' holds a null")).ToList();
}
