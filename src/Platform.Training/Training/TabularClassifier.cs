using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Training.Tabular;
using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Training;

/// <summary>
/// A tabular classifier: config.json (<c>model_type: platform_tabular_mlp</c>, layer widths, labels),
/// preprocessing.json (the column types and the scaling/one-hot fitted on the training split) and the weights.
/// </summary>
public sealed class TabularClassifier : ClassifierModel
{
    public const string ModelType = "platform_tabular_mlp";

    /// <summary>The one tabular preset: two hidden layers, small enough for a CPU and for a few hundred rows.</summary>
    public const string Preset = "tabular-mlp";

    private static readonly int[] PresetLayers = [64, 32];
    private const double PresetDropout = 0.1;

    private readonly IReadOnlyList<string> _labels;

    private TabularClassifier(TabularMlp model, TabularPreprocessor preprocessor, IReadOnlyList<int> hiddenLayers, double dropout,
        IReadOnlyList<string> labels, Device device)
        : base(device)
    {
        Model = model;
        Preprocessor = preprocessor;
        HiddenLayers = hiddenLayers;
        Dropout = dropout;
        _labels = labels;
    }

    public override ModelKind Kind => ModelKind.Tabular;
    public override IReadOnlyList<string> Labels => _labels;
    public TabularMlp Model { get; }
    public TabularPreprocessor Preprocessor { get; }
    public IReadOnlyList<int> HiddenLayers { get; }
    public double Dropout { get; }
    internal override Module Module => Model;

    /// <summary>Weights of the preset's network for <paramref name="features"/> inputs and <paramref name="labels"/> classes.</summary>
    public static long ParameterCount(int features, int labels)
    {
        long count = 0, width = features;
        foreach (var layer in PresetLayers)
        {
            count += width * layer + layer;
            width = layer;
        }

        return count + width * labels + labels;
    }

    /// <summary>A fresh network for <paramref name="preprocessor"/>'s features.</summary>
    public static TabularClassifier ForTraining(TabularPreprocessor preprocessor, IReadOnlyList<string> labels, Device device)
    {
        var model = new TabularMlp(preprocessor.Width, PresetLayers, labels.Count, PresetDropout);
        model.To(device);
        return new TabularClassifier(model, preprocessor, PresetLayers, PresetDropout, labels, device);
    }

    public static new TabularClassifier Load(string directory, Device device)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        JsonNode config;
        try
        {
            config = JsonNode.Parse(File.ReadAllText(configPath)) ?? throw new InvalidDataException($"{configPath}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configPath}: not valid JSON ({e.Message})", e);
        }

        var labels = ReadLabels(config, configPath);
        var layers = config["hidden_layers"]?.AsArray().Select(n => n!.GetValue<int>()).ToArray()
            ?? throw new InvalidDataException($"{configPath}: no hidden_layers");
        if (layers.Any(w => w < 1))
            throw new InvalidDataException($"{configPath}: hidden_layers must be positive");
        var dropout = config["dropout"]?.GetValue<double>() ?? 0;
        var preprocessor = TabularPreprocessor.Load(directory);
        var model = new TabularMlp(preprocessor.Width, layers, labels.Count, dropout);
        try
        {
            model.To(device);
            LoadWeightsInto(model, directory, device, requireClassifier: true, tensors => tensors);
            return new TabularClassifier(model, preprocessor, layers, dropout, labels, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public override void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        var config = new JsonObject
        {
            ["model_type"] = ModelType,
            ["preset"] = Preset,
            ["target"] = Preprocessor.Target,
            ["num_features"] = Preprocessor.Width,
            ["hidden_layers"] = new JsonArray(HiddenLayers.Select(w => (JsonNode)w).ToArray()),
            ["dropout"] = Dropout,
            ["id2label"] = new JsonObject(_labels.Select((l, i) => KeyValuePair.Create(i.ToString(CultureInfo.InvariantCulture), (JsonNode?)l))),
            ["label2id"] = new JsonObject(_labels.Select((l, i) => KeyValuePair.Create(l, (JsonNode?)i))),
        };
        File.WriteAllText(Path.Combine(directory, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Preprocessor.Save(directory);
        TensorFiles.Save(Path.Combine(directory, WeightsFile), Model.StateDict(), WeightsMetadata);
    }

    /// <summary>Logits [rows, labels] of preprocessed features laid out row after row.</summary>
    public Tensor Logits(ReadOnlySpan<float> features, int rows)
    {
        using var input = Tensor.FromSpan(features, [rows, Preprocessor.Width], Device);
        return Model.Forward(input);
    }

    /// <summary>
    /// Classifies rows given as column → value (a JSON object's fields or a CSV row). A column the model
    /// reads that a row lacks is a missing value; a column it does not know is an error, except the
    /// target, which is ignored so a labelled row can be sent as it is.
    /// </summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<IReadOnlyDictionary<string, string?>> rows) => PredictFeatures(Features(rows), rows.Count);

    /// <summary>The rows' scaled and one-hot features (the ONNX export's input), checked as Predict checks them.</summary>
    public float[] Features(IReadOnlyList<IReadOnlyDictionary<string, string?>> rows)
    {
        var known = Preprocessor.Columns.Select(c => c.Name).Append(Preprocessor.Target).ToHashSet(StringComparer.Ordinal);
        var features = new float[rows.Count * Preprocessor.Width];
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            var unknown = row.Keys.FirstOrDefault(k => !known.Contains(k));
            if (unknown is not null)
                throw new InvalidDataException($"unknown column '{unknown}' (the model reads {string.Join(", ", Preprocessor.Columns.Select(c => c.Name))})");
            Preprocessor.Transform(name => row.TryGetValue(name, out var v) ? v : null, features.AsSpan(r * Preprocessor.Width, Preprocessor.Width));
        }

        return features;
    }

    /// <summary>Classifies every row of a CSV that has the model's columns (extra columns are ignored).</summary>
    public IReadOnlyList<Prediction> Predict(TabularTable table) => PredictFeatures(Preprocessor.TransformTable(table), table.Rows.Count);

    private IReadOnlyList<Prediction> PredictFeatures(float[] features, int rows)
    {
        if (rows == 0)
            return [];
        Model.Eval();
        using var noGrad = Torch.Torch.NoGrad();
        using var logits = Logits(features, rows);
        return ToPredictions(logits.ToFloatArray(), rows, Labels);
    }

    private static List<string> ReadLabels(JsonNode config, string path)
    {
        var map = config["id2label"]?.AsObject() ?? throw new InvalidDataException($"{path}: no id2label");
        var labels = new List<string>();
        for (var i = 0; i < map.Count; i++)
        {
            labels.Add(map[i.ToString(CultureInfo.InvariantCulture)]?.GetValue<string>()
                ?? throw new InvalidDataException($"{path}: id2label lacks {i}"));
        }

        if (labels.Count == 0)
            throw new InvalidDataException($"{path}: id2label is empty");
        return labels;
    }
}
