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

    /// <summary>A text model's inputs: int64 [batch, sequence], as the platform's tokenizer batch holds them.</summary>
    public static readonly string[] TextInputNames = ["input_ids", "attention_mask", "token_type_ids"];
    public const string OutputName = "logits";

    /// <summary>Whether <paramref name="model"/> has an ONNX form (text models do not yet).</summary>
    public static bool Supports(ClassifierModel model) =>
        model is CnnImageClassifier or TabularClassifier || model is BertClassifier { Model: Models.Bert.BertForSequenceClassification };

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
            case BertClassifier { Model: Models.Bert.BertForSequenceClassification bert }:
                foreach (var input in TextInputNames)
                    graph.SequenceInput(input);
                logits = builder.Bert(bert.Config);
                break;
            default:
                throw new NotSupportedException("ONNX export covers BERT, image and tabular models; DistilBERT is served by the platform's own runtime.");
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

        /// <summary>
        /// BertForSequenceClassification in inference form: embeddings (word + position + token type, LayerNorm),
        /// the encoder layers (self-attention with the additive mask, GELU feed-forward, post-LayerNorm), the
        /// pooler (first token, tanh) and the classifier.
        /// </summary>
        public string Bert(Models.Bert.BertConfig config)
        {
            var ids = TextInputNames[0];
            // A scalar index: the sequence length as a scalar, which Range takes.
            var seq = graph.Node("Gather", [graph.Node("Shape", [ids]), graph.Int64Initializer("one_index", [1])], attributes: ("axis", 0));
            var positionIds = graph.Node("Range", [graph.Int64Initializer("zero", [0]), seq, graph.Int64Initializer("step", [1])]);
            var words = graph.Node("Gather", [Weight("bert.embeddings.word_embeddings.weight"), ids]);
            var positions = graph.Node("Gather", [Weight("bert.embeddings.position_embeddings.weight"), positionIds]);
            var types = graph.Node("Gather", [Weight("bert.embeddings.token_type_embeddings.weight"), TextInputNames[2]]);
            var hidden = LayerNorm(graph.Node("Add", [graph.Node("Add", [words, positions]), types]), "bert.embeddings.LayerNorm", config.LayerNormEps);

            // (1 - mask) * float.MinValue, shaped [batch, 1, 1, sequence]: BertModel.ExtendedMask.
            var mask = graph.Node("Cast", [TextInputNames[1]], attributes: ("to", OnnxGraph.Float));
            var inverted = graph.Node("Sub", [graph.Initializer("one_float", new[] { 1f }), mask]);
            var additive = graph.Node("Unsqueeze", [graph.Node("Mul", [inverted, graph.Initializer("min_float", new[] { float.MinValue })]),
                graph.Int64Initializer("mask_axes", [1, 2], 2)]);

            var heads = config.NumAttentionHeads;
            var headSize = config.HiddenSize / heads;
            var split = graph.Int64Initializer("heads_shape", [0, 0, heads, headSize], 4);
            var merge = graph.Int64Initializer("merged_shape", [0, 0, config.HiddenSize], 3);
            var scale = graph.Initializer("attention_scale", new[] { (float)(1.0 / Math.Sqrt(headSize)) });
            for (var l = 0; l < config.NumHiddenLayers; l++)
            {
                var p = $"bert.encoder.layer.{l}";
                string Heads(string name, long[] perm) =>
                    graph.Node("Transpose", [graph.Node("Reshape", [Linear(hidden, $"{p}.attention.self.{name}", sequence: true), split])], attributes: ("perm", perm));
                var q = Heads("query", [0, 2, 1, 3]);
                var kT = Heads("key", [0, 2, 3, 1]);
                var v = Heads("value", [0, 2, 1, 3]);
                var scores = graph.Node("Add", [graph.Node("Mul", [graph.Node("MatMul", [q, kT]), scale]), additive]);
                var probs = graph.Node("Softmax", [scores], attributes: ("axis", -1));
                var context = graph.Node("Reshape", [graph.Node("Transpose", [graph.Node("MatMul", [probs, v])], attributes: ("perm", new long[] { 0, 2, 1, 3 })), merge]);
                var attended = LayerNorm(graph.Node("Add", [Linear(context, $"{p}.attention.output.dense", sequence: true), hidden]),
                    $"{p}.attention.output.LayerNorm", config.LayerNormEps);
                var inner = Gelu(Linear(attended, $"{p}.intermediate.dense", sequence: true));
                hidden = LayerNorm(graph.Node("Add", [Linear(inner, $"{p}.output.dense", sequence: true), attended]), $"{p}.output.LayerNorm", config.LayerNormEps);
            }

            var first = graph.Node("Gather", [hidden, graph.Int64Initializer("first_token", [0])], attributes: ("axis", 1));
            var pooled = graph.Node("Tanh", [Linear(first, "bert.pooler.dense")]);
            return Linear(pooled, "classifier");
        }

        private string Weight(string name) => graph.Initializer(name, W(name).Values, W(name).Shape);

        private string LayerNorm(string x, string prefix, double eps) =>
            graph.Node("LayerNormalization", [x, Weight($"{prefix}.weight"), Weight($"{prefix}.bias")], attributes: [("axis", -1), ("epsilon", (float)eps)]);

        /// <summary>The erf GELU: x · ½ · (1 + erf(x / √2)).</summary>
        private string Gelu(string x)
        {
            var erf = graph.Node("Erf", [graph.Node("Div", [x, graph.Initializer(graph.Name("sqrt2"), new[] { MathF.Sqrt(2) })])]);
            var half = graph.Node("Mul", [graph.Node("Add", [erf, graph.Initializer(graph.Name("one"), new[] { 1f })]), graph.Initializer(graph.Name("half"), new[] { 0.5f })]);
            return graph.Node("Mul", [x, half]);
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
        /// <param name="sequence">The input is [batch, sequence, features]: MatMul and Add instead of Gemm.</param>
        private string Linear(string x, string prefix, bool sequence = false)
        {
            var (weight, shape) = W($"{prefix}.weight");
            var (bias, _) = W($"{prefix}.bias");
            long outFeatures = shape[0], inFeatures = shape[1];
            var b = graph.Initializer($"{prefix}.bias", bias, outFeatures);
            if (!quantize && !sequence)
                return graph.Node("Gemm", [x, graph.Initializer($"{prefix}.weight", weight, shape), b], attributes: ("transB", 1));
            if (!quantize)
            {
                var transposed = new float[weight.Length];
                for (var o = 0; o < outFeatures; o++)
                {
                    for (var i = 0; i < inFeatures; i++)
                        transposed[i * outFeatures + o] = weight[o * inFeatures + i];
                }

                return graph.Node("Add", [graph.Node("MatMul", [x, graph.Initializer($"{prefix}.weight_t", transposed, inFeatures, outFeatures)]), b]);
            }

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
