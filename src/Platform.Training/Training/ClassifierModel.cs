using System.Text.Json;
using Platform.Training.Models.Bert;
using Platform.Training.Models.Cnn;
using Platform.Training.Models.Text;
using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Training;

public enum ModelKind
{
    /// <summary>A text transformer: BERT-family or DistilBERT (the name predates DistilBERT support).</summary>
    Bert,
    Cnn,
    /// <summary>An MLP over numeric and categorical columns of a table.</summary>
    Tabular,
}

/// <summary>One input's prediction: the top label, softmax scores by label and the raw logits.</summary>
public sealed record Prediction(string Label, IReadOnlyDictionary<string, double> Scores, float[] Logits);

/// <summary>A classifier and what turns raw input into its tensors; loaded from or saved to a model folder.</summary>
public abstract class ClassifierModel : IDisposable
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";

    // transformers refuses safetensors weights without this metadata.
    internal static readonly Dictionary<string, string> WeightsMetadata = new() { ["format"] = "pt" };

    protected ClassifierModel(Device device) => Device = device;

    public abstract ModelKind Kind { get; }
    public abstract IReadOnlyList<string> Labels { get; }
    public Device Device { get; }
    internal abstract Module Module { get; }

    /// <summary>Loads a trained (or initialised) model folder for prediction or further training.</summary>
    public static ClassifierModel Load(string directory, Device device)
    {
        var kind = DetectKind(directory);
        return kind switch
        {
            ModelKind.Bert => BertClassifier.Load(directory, device),
            ModelKind.Tabular => TabularClassifier.Load(directory, device),
            _ => CnnImageClassifier.Load(directory, device),
        };
    }

    public static ModelKind DetectKind(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"model folder not found: {directory}");
        }

        var configPath = Path.Combine(directory, ConfigFile);
        if (!File.Exists(configPath))
        {
            throw new FileNotFoundException($"{directory} has no {ConfigFile}", configPath);
        }

        string? modelType;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(configPath));
            modelType = document.RootElement.TryGetProperty("model_type", out var type) ? type.GetString() : null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configPath}: not valid JSON ({e.Message})", e);
        }

        if (TextModels.IsTextModelType(modelType))
        {
            return ModelKind.Bert;
        }

        return modelType switch
        {
            "platform_cnn" => ModelKind.Cnn,
            TabularClassifier.ModelType => ModelKind.Tabular,
            _ => throw new InvalidDataException($"{configPath}: model_type '{modelType}' is not supported: a text model must be {TextModels.Supported}; an image model is 'platform_cnn'; a tabular one '{TabularClassifier.ModelType}'"),
        };
    }

    /// <summary>Writes the model folder (config, weights and, for BERT, the tokenizer files).</summary>
    public abstract void Save(string directory);

    /// <summary>Softmax scores and logits, rows in input order.</summary>
    public static IReadOnlyList<Prediction> ToPredictions(float[] logits, int rows, IReadOnlyList<string> labels)
    {
        var classes = labels.Count;
        var predictions = new Prediction[rows];
        for (var r = 0; r < rows; r++)
        {
            var row = logits.AsSpan(r * classes, classes).ToArray();
            var max = row.Max();
            var exp = row.Select(v => Math.Exp(v - max)).ToArray();
            var sum = exp.Sum();
            var scores = new Dictionary<string, double>(classes, StringComparer.Ordinal);
            var best = 0;
            for (var c = 0; c < classes; c++)
            {
                scores[labels[c]] = exp[c] / sum;
                best = row[c] > row[best] ? c : best;
            }

            predictions[r] = new Prediction(labels[best], scores, row);
        }

        return predictions;
    }

    internal static Dictionary<string, Tensor> ReadWeights(string directory, Device device)
    {
        var path = Path.Combine(directory, WeightsFile);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{directory} has no {WeightsFile}", path);
        }

        return TensorFiles.Load(path, device);
    }

    /// <summary>
    /// Loads a folder's weights into <paramref name="model"/>: every tensor the model has must be there
    /// (the classifier head only when <paramref name="requireClassifier"/>: a new head for new labels
    /// starts from its initialisation), shapes must match, and errors name the file.
    /// <paramref name="select"/> maps the file's tensors to the model's names.
    /// </summary>
    internal static void LoadWeightsInto(Module model, string directory, Device device, bool requireClassifier,
        Func<Dictionary<string, Tensor>, IReadOnlyDictionary<string, Tensor>> select) =>
        LoadWeightsInto(model, directory, device,
            name => !requireClassifier && name.StartsWith("classifier.", StringComparison.Ordinal), select);

    /// <summary>
    /// As above, with <paramref name="mayBeMissing"/> naming the tensors that keep their initialisation
    /// when the file lacks them; <paramref name="log"/> hears which did.
    /// </summary>
    internal static void LoadWeightsInto(Module model, string directory, Device device, Func<string, bool> mayBeMissing,
        Func<Dictionary<string, Tensor>, IReadOnlyDictionary<string, Tensor>> select, Action<string>? log = null)
    {
        var file = Path.Combine(directory, WeightsFile);
        var tensors = ReadWeights(directory, device);
        try
        {
            var weights = select(tensors);
            var absent = model.StateDict().Keys.Where(name => !weights.ContainsKey(name)).ToList();
            var missing = absent.Where(name => !mayBeMissing(name)).ToList();
            if (missing.Count > 0)
            {
                throw new InvalidDataException($"{file}: missing tensor '{missing[0]}' ({missing.Count} missing)");
            }
            // The classifier head's own message comes from the caller, which knows the labels.
            var initialised = absent.Where(name => !name.StartsWith("classifier.", StringComparison.Ordinal))
                .Select(name => name[..Math.Max(0, name.LastIndexOf('.'))]).Distinct().ToList();
            if (initialised.Count > 0)
            {
                log?.Invoke($"{string.Join(", ", initialised)} not in the checkpoint: initialised");
            }

            try
            {
                model.LoadStateDict(weights, strict: false);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{file}: {e.Message}", e);
            }
        }
        finally
        {
            DisposeAll(tensors);
        }
    }

    internal static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var tensor in tensors.Values)
        {
            tensor.Dispose();
        }
    }

    public void Dispose()
    {
        Module.Dispose();
        GC.SuppressFinalize(this);
    }
}
