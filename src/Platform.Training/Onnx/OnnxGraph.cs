using System.Runtime.InteropServices;

namespace Platform.Training.Onnx;

/// <summary>
/// Builds one ONNX model (IR 8, default opset 13): initializers, nodes, one input and one output.
/// Field numbers are onnx.proto's (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto).
/// </summary>
internal sealed class OnnxGraph(string name)
{
    public const int Float = 1;
    public const int Uint8 = 2;
    public const int Int8 = 3;
    public const int Int64 = 7;

    // 17: LayerNormalization (BERT); every other op the exports use is unchanged from 13.
    private const int OpsetVersion = 17;
    private const int IrVersion = 8;

    private readonly List<ProtoWriter> _nodes = [];
    private readonly List<ProtoWriter> _initializers = [];
    private readonly List<ProtoWriter> _inputs = [];
    private readonly List<ProtoWriter> _outputs = [];
    private int _counter;

    /// <summary>A fresh tensor name for an intermediate value.</summary>
    public string Name(string hint) => $"{hint}_{_counter++}";

    public string Initializer(string tensorName, float[] values, params long[] dims) =>
        Initializer(tensorName, Float, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    public string Initializer(string tensorName, sbyte[] values, params long[] dims) =>
        Initializer(tensorName, Int8, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    public string Initializer(string tensorName, int dataType, ReadOnlySpan<byte> raw, params long[] dims)
    {
        var tensor = new ProtoWriter();
        foreach (var dim in dims)
            tensor.Int(1, dim);
        tensor.Int(2, dataType).String(8, tensorName).Bytes(9, raw);
        _initializers.Add(tensor);
        return tensorName;
    }

    /// <summary>Adds a node; attributes are (name, value) with value an int, long, float or long[].</summary>
    public string Node(string opType, string[] inputs, string? output = null, params (string Name, object Value)[] attributes)
    {
        output ??= Name(opType.ToLowerInvariant());
        Node(opType, inputs, [output], attributes);
        return output;
    }

    /// <summary>A node with several outputs (DynamicQuantizeLinear).</summary>
    public void Node(string opType, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        var node = new ProtoWriter();
        foreach (var input in inputs)
            node.String(1, input);
        foreach (var output in outputs)
            node.String(2, output);
        node.String(3, outputs[0] + "_node").String(4, opType);
        foreach (var (attribute, value) in attributes)
        {
            var a = new ProtoWriter().String(1, attribute);
            switch (value)
            {
                case float f:
                    a.Float(2, f).Int(20, 1);
                    break;
                case int or long:
                    a.Int(3, Convert.ToInt64(value)).Int(20, 2);
                    break;
                case long[] ints:
                    foreach (var i in ints)
                        a.Int(8, i);
                    a.Int(20, 7);
                    break;
                default:
                    throw new ArgumentException($"attribute {attribute}: unsupported value {value}");
            }

            node.Message(5, a);
        }

        _nodes.Add(node);
    }

    /// <summary>A graph input or output: float32 with a symbolic batch dimension first.</summary>
    public void Input(string tensorName, params long[] dimsAfterBatch) => _inputs.Add(ValueInfo(tensorName, dimsAfterBatch));

    /// <summary>An int64 [batch, sequence] input (token ids, masks).</summary>
    public void SequenceInput(string tensorName)
    {
        var shape = new ProtoWriter()
            .Message(1, new ProtoWriter().String(2, "batch"))
            .Message(1, new ProtoWriter().String(2, "sequence"));
        var tensorType = new ProtoWriter().Int(1, Int64).Message(2, shape);
        _inputs.Add(new ProtoWriter().String(1, tensorName).Message(2, new ProtoWriter().Message(1, tensorType)));
    }

    public string Int64Initializer(string tensorName, long[] values, params long[] dims) =>
        Initializer(tensorName, Int64, MemoryMarshal.AsBytes(values.AsSpan()), dims);

    public void Output(string tensorName, params long[] dimsAfterBatch) => _outputs.Add(ValueInfo(tensorName, dimsAfterBatch));

    public byte[] ToBytes()
    {
        var graph = new ProtoWriter();
        foreach (var node in _nodes)
            graph.Message(1, node);
        graph.String(2, name);
        foreach (var initializer in _initializers)
            graph.Message(5, initializer);
        foreach (var input in _inputs)
            graph.Message(11, input);
        foreach (var output in _outputs)
            graph.Message(12, output);
        return new ProtoWriter()
            .Int(1, IrVersion)
            .String(2, "platform")
            .Message(7, graph)
            .Message(8, new ProtoWriter().String(1, "").Int(2, OpsetVersion))
            .ToArray();
    }

    private static ProtoWriter ValueInfo(string tensorName, long[] dimsAfterBatch)
    {
        var shape = new ProtoWriter().Message(1, new ProtoWriter().String(2, "batch"));
        foreach (var dim in dimsAfterBatch)
            shape.Message(1, new ProtoWriter().Int(1, dim));
        var tensorType = new ProtoWriter().Int(1, Float).Message(2, shape);
        return new ProtoWriter().String(1, tensorName).Message(2, new ProtoWriter().Message(1, tensorType));
    }
}
