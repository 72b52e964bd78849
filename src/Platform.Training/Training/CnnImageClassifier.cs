using Platform.Training.Models.Cnn;
using Platform.Training.Torch;
using Platform.Training.Torch.Nn;
using Platform.Training.Torch.Vision;

namespace Platform.Training.Training;

/// <summary>A CNN image classifier: config.json (architecture, input geometry, normalisation, labels) + weights.</summary>
public sealed class CnnImageClassifier : ClassifierModel
{
    private CnnImageClassifier(CnnClassifier model, Device device)
        : base(device) => Model = model;

    public override ModelKind Kind => ModelKind.Cnn;
    public override IReadOnlyList<string> Labels => Model.Config.Labels;
    public CnnClassifier Model { get; }
    public CnnConfig Config => Model.Config;
    internal override Module Module => Model;

    private byte[] Background => [.. Config.Background.Select(b => (byte)b)];

    /// <summary>The image as this model sees it before normalisation: height x width x channels bytes.</summary>
    public byte[] PreviewPixels(ReadOnlySpan<byte> imageBytes) =>
        ImageDecoder.Preview(imageBytes, Config.InChannels, Config.ImageHeight, Config.ImageWidth, Background);

    /// <summary>Floats per image after preprocessing.</summary>
    public int ImageSize => Config.InChannels * Config.ImageHeight * Config.ImageWidth;

    public static new CnnImageClassifier Load(string directory, Device device)
    {
        var config = LoadConfig(directory);
        return Create(config, directory, device, keepClassifier: true);
    }

    /// <summary>
    /// A preset name builds a fresh network; a model folder continues from its weights, with a new
    /// classifier layer when the labels differ.
    /// </summary>
    /// <param name="background">For a preset: the RGB transparent pixels become (null: white). A model folder keeps its own.</param>
    public static CnnImageClassifier ForTraining(string baseModel, IReadOnlyList<string> labels, Device device, Action<string>? log = null,
        IReadOnlyList<int>? background = null)
    {
        if (CnnConfig.PresetNames.Contains(baseModel))
        {
            var presetConfig = CnnConfig.FromPreset(baseModel, labels);
            if (background is not null)
            {
                presetConfig.Background = [.. background];
                presetConfig.Validate();
            }

            var model = new CnnClassifier(presetConfig);
            model.To(device);
            return new CnnImageClassifier(model, device);
        }

        var config = LoadConfig(baseModel);
        var sameLabels = config.Labels.SequenceEqual(labels, StringComparer.Ordinal);
        if (!sameLabels)
        {
            log?.Invoke($"classifier initialised for {labels.Count} labels");
            config.WithLabels(labels);
        }

        return Create(config, baseModel, device, sameLabels);
    }

    public override void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        Config.Save(Path.Combine(directory, ConfigFile));
        TensorFiles.Save(Path.Combine(directory, WeightsFile), Model.StateDict(), WeightsMetadata);
    }

    /// <summary>Decodes, resizes and normalises one image into <paramref name="destination"/> (CHW floats).</summary>
    public void Preprocess(ReadOnlySpan<byte> imageBytes, string name, Span<float> destination)
    {
        try
        {
            using var image = ImageDecoder.Decode(imageBytes, Config.InChannels, Config.ImageHeight, Config.ImageWidth,
                Config.Mean.ToArray(), Config.Std.ToArray(), Background);
            image.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination), ScalarType.Float32);
        }
        catch (TorchException e)
        {
            throw new InvalidDataException($"{name}: cannot decode image ({e.Message})", e);
        }
    }

    /// <summary>Logits [rows, labels] for preprocessed images laid out one after another.</summary>
    public Tensor Logits(ReadOnlySpan<float> images, int rows)
    {
        using var input = Tensor.FromSpan(images, [rows, Config.InChannels, Config.ImageHeight, Config.ImageWidth], Device);
        return Model.Forward(input);
    }

    public IReadOnlyList<Prediction> Predict(IReadOnlyList<(string Name, byte[] Bytes)> images, int batchSize = 64)
    {
        Model.Eval();
        using var noGrad = Torch.Torch.NoGrad();
        var predictions = new List<Prediction>(images.Count);
        var buffer = new float[batchSize * ImageSize];
        for (var start = 0; start < images.Count; start += batchSize)
        {
            var rows = Math.Min(batchSize, images.Count - start);
            for (var r = 0; r < rows; r++)
            {
                var (name, bytes) = images[start + r];
                Preprocess(bytes, name, buffer.AsSpan(r * ImageSize, ImageSize));
            }

            using var logits = Logits(buffer.AsSpan(0, rows * ImageSize), rows);
            predictions.AddRange(ToPredictions(logits.ToFloatArray(), rows, Labels));
        }

        return predictions;
    }

    private static CnnConfig LoadConfig(string directory)
    {
        var path = Path.Combine(directory, ConfigFile);
        if (!Directory.Exists(directory))
        {
            throw new ArgumentException($"'{directory}' is neither a CNN preset ({string.Join(", ", CnnConfig.PresetNames)}) nor a model folder");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{directory} has no {ConfigFile}", path);
        }

        try
        {
            return CnnConfig.Load(path);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    private static CnnImageClassifier Create(CnnConfig config, string directory, Device device, bool keepClassifier)
    {
        var model = new CnnClassifier(config);
        try
        {
            model.To(device);
            LoadWeightsInto(model, directory, device, keepClassifier, tensors => keepClassifier
                ? tensors
                : tensors.Where(kv => !kv.Key.StartsWith("classifier.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value));

            return new CnnImageClassifier(model, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
