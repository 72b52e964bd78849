using System.Globalization;
using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Models.Cnn;

/// <summary>
/// An image classifier built from a <see cref="CnnConfig"/>: either stages of (conv-bn-relu) x N,
/// max pool and dropout followed by an MLP head, a small ResNet (basic blocks, global average pool), or
/// a plain multi-layer perceptron on the flattened pixels (no convolution).
/// Input: float32 [batch, channels, height, width], already normalised.
/// </summary>
public sealed class CnnClassifier : Module
{
    private readonly List<Func<Tensor, Tensor>> stages = [];
    private readonly Dropout convDropout;
    private readonly Dropout dropout;
    private readonly Linear? hidden;
    private readonly List<Linear> mlpLayers = [];
    private readonly Linear classifier;

    public CnnClassifier(CnnConfig config)
    {
        config.Validate();
        Config = config;
        convDropout = RegisterModule("conv_dropout", new Dropout(config.ConvDropout));
        dropout = RegisterModule("dropout", new Dropout(config.Dropout));
        var stageList = RegisterModule("stages", new CnnContainer());
        long features;
        if (config.Architecture == CnnConfig.SimpleArchitecture)
        {
            long inChannels = config.InChannels;
            for (var s = 0; s < config.Channels.Count; s++)
            {
                var stage = stageList.Add(Name(s), new CnnContainer());
                var convs = new List<ConvBn>();
                for (var c = 0; c < config.ConvsPerStage; c++)
                {
                    convs.Add(stage.Add(Name(c), new ConvBn(inChannels, config.Channels[s])));
                    inChannels = config.Channels[s];
                }
                stages.Add(x => SimpleStage(convs, x));
            }
            features = inChannels * (config.ImageHeight >> config.Channels.Count) * (config.ImageWidth >> config.Channels.Count);
        }
        else if (config.Architecture == CnnConfig.MlpArchitecture)
        {
            var layers = RegisterModule("layers", new CnnContainer());
            features = (long)config.InChannels * config.ImageHeight * config.ImageWidth;
            for (var l = 0; l < config.HiddenLayers!.Count; l++)
            {
                mlpLayers.Add(layers.Add(Name(l), new Linear(features, config.HiddenLayers[l])));
                features = config.HiddenLayers[l];
            }
        }
        else
        {
            var stem = RegisterModule("stem", new ConvBn(config.InChannels, config.Channels[0]));
            stages.Add(x => stem.Forward(x, relu: true));
            long inChannels = config.Channels[0];
            for (var s = 0; s < config.Channels.Count; s++)
            {
                var block = stageList.Add(Name(s), new BasicBlock(inChannels, config.Channels[s], s == 0 ? 1 : 2));
                stages.Add(block.Forward);
                inChannels = config.Channels[s];
            }
            features = inChannels;
        }
        if (config.HiddenSize > 0)
        {
            hidden = RegisterModule("hidden", new Linear(features, config.HiddenSize));
            features = config.HiddenSize;
        }
        classifier = RegisterModule("classifier", new Linear(features, config.NumLabels));
    }

    public CnnConfig Config { get; }

    public static CnnClassifier Load(string folder)
    {
        var model = new CnnClassifier(CnnConfig.Load(Path.Combine(folder, ModelFolder.ConfigFile)));
        try
        {
            ModelFolder.LoadWeights(folder, tensors => model.LoadStateDict(tensors));
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        Config.Save(Path.Combine(folder, ModelFolder.ConfigFile));
        ModelFolder.SaveWeights(this, folder);
    }

    /// <summary>Logits [batch, num_labels].</summary>
    public Tensor Forward(Tensor images)
    {
        var x = images.Clone();
        foreach (var stage in stages)
        {
            using var previous = x;
            x = stage(previous);
        }
        using (x)
        {
            using var pooled = Config.Architecture == CnnConfig.ResNetArchitecture ? Functional.AdaptiveAvgPool2d(x, 1, 1) : x.Clone();
            using var flat = pooled.Flatten(1);
            if (mlpLayers.Count > 0)
            {
                return MlpHead(flat);
            }
            if (hidden is null)
            {
                using var d = dropout.Forward(flat);
                return classifier.Forward(d);
            }
            using var h = hidden.Forward(flat);
            using var r = h.Relu();
            using var dropped = dropout.Forward(r);
            return classifier.Forward(dropped);
        }
    }

    private Tensor MlpHead(Tensor flat)
    {
        var x = flat.Clone();
        foreach (var layer in mlpLayers)
        {
            using var previous = x;
            using var linear = layer.Forward(previous);
            using var relu = linear.Relu();
            x = dropout.Forward(relu);
        }
        using (x)
        {
            return classifier.Forward(x);
        }
    }

    private Tensor SimpleStage(List<ConvBn> convs, Tensor input)
    {
        var x = input.Clone();
        foreach (var conv in convs)
        {
            using var previous = x;
            x = conv.Forward(previous, relu: true);
        }
        using (x)
        {
            using var pooled = Functional.MaxPool2d(x, 2);
            return convDropout.Forward(pooled);
        }
    }

    private static string Name(int index) => index.ToString(CultureInfo.InvariantCulture);
}

/// <summary>ResNet basic block: two 3x3 conv-bn with an identity or 1x1 projection shortcut.</summary>
internal sealed class BasicBlock : Module
{
    private readonly ConvBn first;
    private readonly ConvBn second;
    private readonly ConvBn? shortcut;

    public BasicBlock(long inChannels, long outChannels, int stride)
    {
        first = RegisterModule("conv1", new ConvBn(inChannels, outChannels, 3, stride));
        second = RegisterModule("conv2", new ConvBn(outChannels, outChannels));
        if (stride != 1 || inChannels != outChannels) shortcut = RegisterModule("shortcut", new ConvBn(inChannels, outChannels, 1, stride));
    }

    public Tensor Forward(Tensor input)
    {
        using var a = first.Forward(input, relu: true);
        using var b = second.Forward(a, relu: false);
        using var s = shortcut is null ? input.Clone() : shortcut.Forward(input, relu: false);
        using var sum = b + s;
        return sum.Relu();
    }
}

internal sealed class CnnContainer : Module
{
    public T Add<T>(string name, T module) where T : Module => RegisterModule(name, module);
}
