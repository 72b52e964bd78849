using Platform.Training.Models.Cnn;
using Platform.Training.Torch;
using Platform.Training.Training;

namespace Platform.Training.Onnx;

/// <summary>
/// Writes a trained model as ONNX (opset 13), its logits the same as the platform's within float
/// rounding: image models (the CNN and ResNet presets with batch norm in inference form, the MLP) and
/// tabular MLPs. The input is what the platform's preprocessing produces: normalised CHW pixels, or a
/// table row standardised and one-hot encoded as preprocessing.json describes; the output is the logits.
/// </summary>
/// <remarks>
/// The int8 variant is dynamic quantisation as PyTorch's <c>quantize_dynamic</c> and ONNX Runtime's
/// <c>quantize_dynamic</c> do it: the weights of the fully connected layers are stored as int8 (one
/// symmetric scale per layer), activations are quantised to uint8 per batch at run time
/// (DynamicQuantizeLinear, MatMulInteger); convolutions stay float.
/// </remarks>
public static class OnnxExport
{
    public const string FileName = "model.onnx";
    public const string Int8FileName = "model.int8.onnx";
    public const string InputName = "input";
    public const string OutputName = "logits";

    /// <summary>Whether <paramref name="model"/> has an ONNX form (text models do not yet).</summary>
    public static bool Supports(ClassifierModel model) => model is CnnImageClassifier or TabularClassifier;

    /// <summary>Writes model.onnx and model.int8.onnx into <paramref name="directory"/>; returns their paths.</summary>
    public static (string Full, string Int8) Save(ClassifierModel model, string directory)
    {
        var full = Path.Combine(directory, FileName);
        var int8 = Path.Combine(directory, Int8FileName);
        WriteAtomically(full, Build(model, quantize: false));
        WriteAtomically(int8, Build(model, quantize: true));
        return (full, int8);
    }

    public static byte[] Build(ClassifierModel model, bool quantize)
    {
        var state = model.Module.StateDict();
        var weights = state.ToDictionary(kv => kv.Key, kv => (Values: kv.Value.ToFloatArray(), Shape: kv.Value.Shape));
        var graph = new OnnxGraph(quantize ? "platform-int8" : "platform");
        var builder = new Builder(graph, weights, quantize);
        string logits;
        switch (model)
        {
            case TabularClassifier table:
                graph.Input(InputName, table.Preprocessor.Width);
                logits = builder.Mlp(InputName, table.HiddenLayers.Count);
                break;
            case CnnImageClassifier image:
                var config = image.Config;
                graph.Input(InputName, config.InChannels, config.ImageHeight, config.ImageWidth);
                logits = config.Architecture switch
                {
                    CnnConfig.MlpArchitecture => builder.Mlp(graph.Node("Flatten", [InputName], attributes: ("axis", 1)), config.HiddenLayers!.Count),
                    CnnConfig.ResNetArchitecture => builder.ResNet(InputName, config),
                    _ => builder.SimpleCnn(InputName, config),
                };
                break;
            default:
                throw new NotSupportedException("ONNX export covers image and tabular models; text models are served by the platform's own runtime.");
        }

        graph.Node("Identity", [logits], OutputName);
        graph.Output(OutputName, model.Labels.Count);
        return graph.ToBytes();
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    private sealed class Builder(OnnxGraph graph, Dictionary<string, (float[] Values, long[] Shape)> weights, bool quantize)
    {
        private (float[] Values, long[] Shape) W(string name) =>
            weights.TryGetValue(name, out var w) ? w : throw new InvalidDataException($"the model has no tensor '{name}'");

        /// <summary>layers.0 … layers.{count-1} (linear, ReLU), then the classifier.</summary>
        public string Mlp(string x, int count)
        {
            for (var l = 0; l < count; l++)
                x = graph.Node("Relu", [Linear(x, $"layers.{l}")]);
            return Linear(x, "classifier");
        }

        public string SimpleCnn(string x, CnnConfig config)
        {
            for (var s = 0; s < config.Channels.Count; s++)
            {
                for (var c = 0; c < config.ConvsPerStage; c++)
                    x = ConvBn(x, $"stages.{s}.{c}", stride: 1, relu: true);
                x = graph.Node("MaxPool", [x], attributes: [("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 })]);
            }

            x = graph.Node("Flatten", [x], attributes: ("axis", 1));
            if (config.HiddenSize > 0)
                x = graph.Node("Relu", [Linear(x, "hidden")]);
            return Linear(x, "classifier");
        }

        public string ResNet(string x, CnnConfig config)
        {
            x = ConvBn(x, "stem", stride: 1, relu: true);
            for (var s = 0; s < config.Channels.Count; s++)
            {
                var prefix = $"stages.{s}";
                var stride = s == 0 ? 1 : 2;
                var a = ConvBn(x, $"{prefix}.conv1", stride, relu: true);
                var b = ConvBn(a, $"{prefix}.conv2", stride: 1, relu: false);
                var shortcut = weights.ContainsKey($"{prefix}.shortcut.conv.weight") ? ConvBn(x, $"{prefix}.shortcut", stride, relu: false) : x;
                x = graph.Node("Relu", [graph.Node("Add", [b, shortcut])]);
            }

            x = graph.Node("Flatten", [graph.Node("GlobalAveragePool", [x])], attributes: ("axis", 1));
            if (config.HiddenSize > 0)
                x = graph.Node("Relu", [Linear(x, "hidden")]);
            return Linear(x, "classifier");
        }

        /// <summary>Conv (no bias, padding kernel/2) and batch norm with its running statistics, as ConvBn in eval mode.</summary>
        private string ConvBn(string x, string prefix, int stride, bool relu)
        {
            var (kernel, shape) = W($"{prefix}.conv.weight");
            var k = shape[2];
            var conv = graph.Node("Conv", [x, graph.Initializer($"{prefix}.conv.weight", kernel, shape)], attributes:
            [
                ("kernel_shape", new long[] { k, shape[3] }), ("strides", new long[] { stride, stride }),
                ("pads", new long[] { k / 2, k / 2, k / 2, k / 2 }),
            ]);
            string[] bn = ["weight", "bias", "running_mean", "running_var"];
            var inputs = bn.Select(n => graph.Initializer($"{prefix}.bn.{n}", W($"{prefix}.bn.{n}").Values, W($"{prefix}.bn.{n}").Shape)).ToArray();
            var normed = graph.Node("BatchNormalization", [conv, .. inputs], attributes: ("epsilon", 1e-5f));
            return relu ? graph.Node("Relu", [normed]) : normed;
        }

        /// <summary>x·Wᵀ + b; with <c>quantize</c>, int8 weights and uint8 activations quantised per batch.</summary>
        private string Linear(string x, string prefix)
        {
            var (weight, shape) = W($"{prefix}.weight");
            var (bias, _) = W($"{prefix}.bias");
            long outFeatures = shape[0], inFeatures = shape[1];
            var b = graph.Initializer($"{prefix}.bias", bias, outFeatures);
            if (!quantize)
                return graph.Node("Gemm", [x, graph.Initializer($"{prefix}.weight", weight, shape), b], attributes: ("transB", 1));

            // Symmetric per-layer scale, weights transposed to [in, out] for MatMulInteger.
            var max = weight.Max(Math.Abs);
            var scale = max > 0 ? max / 127f : 1f;
            var q = new sbyte[weight.Length];
            for (var o = 0; o < outFeatures; o++)
            {
                for (var i = 0; i < inFeatures; i++)
                    q[i * outFeatures + o] = (sbyte)Math.Clamp(MathF.Round(weight[o * inFeatures + i] / scale), -127, 127);
            }

            var wq = graph.Initializer($"{prefix}.weight_quantized", q, inFeatures, outFeatures);
            var wZero = graph.Initializer($"{prefix}.weight_zero_point", new sbyte[] { 0 });
            var wScale = graph.Initializer($"{prefix}.weight_scale", new[] { scale });
            var xq = graph.Name($"{prefix}.x_quantized");
            var xScale = graph.Name($"{prefix}.x_scale");
            var xZero = graph.Name($"{prefix}.x_zero_point");
            graph.Node("DynamicQuantizeLinear", [x], [xq, xScale, xZero]);
            var product = graph.Node("MatMulInteger", [xq, wq, xZero, wZero]);
            var asFloat = graph.Node("Cast", [product], attributes: ("to", OnnxGraph.Float));
            var combined = graph.Node("Mul", [xScale, wScale]);
            return graph.Node("Add", [graph.Node("Mul", [asFloat, combined]), b]);
        }
    }
}
