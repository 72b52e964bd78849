using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Training.Models.Cnn;

/// <summary>config.json of a CNN model folder: architecture, input geometry, normalisation, labels.</summary>
public sealed class CnnConfig
{
    public const string SimpleArchitecture = "simple_cnn";
    public const string ResNetArchitecture = "resnet";
    /// <summary>No convolutions: the flattened image through fully connected layers (<see cref="HiddenLayers"/>).</summary>
    public const string MlpArchitecture = "mlp";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    [JsonPropertyName("model_type")] public string ModelType { get; set; } = "platform_cnn";
    /// <summary><see cref="SimpleArchitecture"/> (conv blocks + MLP head) or <see cref="ResNetArchitecture"/>.</summary>
    [JsonPropertyName("architecture")] public string Architecture { get; set; } = SimpleArchitecture;
    [JsonPropertyName("preset")] public string? Preset { get; set; }
    [JsonPropertyName("in_channels")] public int InChannels { get; set; } = 1;
    [JsonPropertyName("image_height")] public int ImageHeight { get; set; } = 28;
    [JsonPropertyName("image_width")] public int ImageWidth { get; set; } = 28;
    /// <summary>Output channels per stage; each simple stage halves the resolution with max pooling.</summary>
    [JsonPropertyName("channels")] public List<int> Channels { get; set; } = [32, 64];
    /// <summary>Convolutions per simple stage (3x3, batch norm, ReLU each).</summary>
    [JsonPropertyName("convs_per_stage")] public int ConvsPerStage { get; set; } = 2;
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; set; } = 128;
    /// <summary>Widths of the fully connected ReLU layers of an <see cref="MlpArchitecture"/> model.</summary>
    [JsonPropertyName("hidden_layers")] public List<int>? HiddenLayers { get; set; }
    [JsonPropertyName("conv_dropout")] public double ConvDropout { get; set; } = 0.1;
    [JsonPropertyName("dropout")] public double Dropout { get; set; } = 0.3;
    [JsonPropertyName("mean")] public List<float> Mean { get; set; } = [0.5f];
    [JsonPropertyName("std")] public List<float> Std { get; set; } = [0.5f];
    /// <summary>RGB that transparent pixels are composited onto before the model sees them (white, as a browser page shows them).</summary>
    [JsonPropertyName("background")] public List<int> Background { get; set; } = [255, 255, 255];
    [JsonPropertyName("id2label")] public Dictionary<string, string> Id2Label { get; set; } = [];
    [JsonPropertyName("label2id")] public Dictionary<string, int> Label2Id { get; set; } = [];

    [JsonIgnore] public int NumLabels => Id2Label.Count;

    [JsonIgnore]
    public IReadOnlyList<string> Labels =>
        Enumerable.Range(0, NumLabels).Select(i => Id2Label[i.ToString(CultureInfo.InvariantCulture)]).ToList();

    public static IReadOnlyList<string> PresetNames { get; } = ["cnn-28-grey", "mlp-28-grey", "cnn-32-rgb", "resnet-small"];

    /// <summary>
    /// cnn-28-grey (Fashion-MNIST-like), mlp-28-grey (the classic MNIST multi-layer perceptron on the same
    /// input, to compare with the CNN), cnn-32-rgb (CIFAR-like) or resnet-small (any size, RGB).
    /// </summary>
    public static CnnConfig FromPreset(string preset, IReadOnlyList<string> labels)
    {
        var config = preset switch
        {
            "cnn-28-grey" => new CnnConfig { InChannels = 1, ImageHeight = 28, ImageWidth = 28, Channels = [32, 64], HiddenSize = 128, Mean = [0.5f], Std = [0.5f] },
            // 784-256-128 with dropout: the textbook MNIST MLP, about 235k parameters (the CNN has about 468k).
            "mlp-28-grey" => new CnnConfig
            {
                Architecture = MlpArchitecture, InChannels = 1, ImageHeight = 28, ImageWidth = 28, Channels = [], HiddenLayers = [256, 128],
                HiddenSize = 0, ConvDropout = 0, Dropout = 0.2, Mean = [0.5f], Std = [0.5f],
            },
            "cnn-32-rgb" => new CnnConfig
            {
                InChannels = 3, ImageHeight = 32, ImageWidth = 32, Channels = [32, 64, 128], HiddenSize = 256,
                Mean = [0.4914f, 0.4822f, 0.4465f], Std = [0.2470f, 0.2435f, 0.2616f],
            },
            "resnet-small" => new CnnConfig
            {
                Architecture = ResNetArchitecture, InChannels = 3, ImageHeight = 64, ImageWidth = 64, Channels = [32, 64, 128],
                HiddenSize = 0, ConvDropout = 0, Dropout = 0.2, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f],
            },
            _ => throw new ArgumentException($"unknown CNN preset '{preset}' (known: {string.Join(", ", PresetNames)})", nameof(preset)),
        };
        config.Preset = preset;
        return config.WithLabels(labels);
    }

    public CnnConfig WithLabels(IReadOnlyList<string> labels)
    {
        if (labels.Count == 0 || labels.Distinct(StringComparer.Ordinal).Count() != labels.Count) throw new ArgumentException("labels must be non-empty and distinct", nameof(labels));
        Id2Label = labels.Select((l, i) => (l, i)).ToDictionary(x => x.i.ToString(CultureInfo.InvariantCulture), x => x.l);
        Label2Id = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i);
        return this;
    }

    public void Validate()
    {
        if (Architecture is not (SimpleArchitecture or ResNetArchitecture or MlpArchitecture)) throw new InvalidDataException($"unknown architecture '{Architecture}'");
        if (InChannels is not (1 or 3)) throw new InvalidDataException("in_channels must be 1 or 3");
        if (Mean.Count != InChannels || Std.Count != InChannels) throw new InvalidDataException("mean and std need one value per input channel");
        if (ImageHeight is < 1 or > 4096 || ImageWidth is < 1 or > 4096) throw new InvalidDataException("image_height and image_width must be 1 to 4096");
        if (Architecture == MlpArchitecture)
        {
            if (HiddenLayers is null || HiddenLayers.Any(w => w < 1)) throw new InvalidDataException("an mlp needs hidden_layers: a list of positive widths");
        }
        else if (Channels.Count == 0 || Channels.Any(c => c < 1)) throw new InvalidDataException("channels must be a non-empty list of positive numbers");
        if (NumLabels < 1) throw new InvalidDataException("id2label is empty");
        if (Background.Count != 3 || Background.Any(b => b is < 0 or > 255)) throw new InvalidDataException("background must be three values 0-255 (RGB)");
        if (Architecture == SimpleArchitecture && ((ImageHeight >> Channels.Count) < 1 || (ImageWidth >> Channels.Count) < 1))
        {
            throw new InvalidDataException($"a {ImageHeight}x{ImageWidth} image is too small for {Channels.Count} pooling stages");
        }
    }

    public static CnnConfig Parse(string json)
    {
        var config = JsonSerializer.Deserialize<CnnConfig>(json) ?? throw new InvalidDataException("config.json is empty");
        config.Validate();
        return config;
    }

    public static CnnConfig Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>Parses "white", "black" or "#rrggbb" into an RGB background.</summary>
    public static List<int> ParseBackground(string value) => value.Trim().ToLowerInvariant() switch
    {
        "white" => [255, 255, 255],
        "black" => [0, 0, 0],
        var hex when hex.Length == 7 && hex[0] == '#' && int.TryParse(hex.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var rgb)
            => [(rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF],
        _ => throw new ArgumentException($"background '{value}' is not white, black or #rrggbb"),
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public void Save(string path) => File.WriteAllText(path, ToJson());
}
