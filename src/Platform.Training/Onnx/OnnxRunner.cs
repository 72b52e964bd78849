using Microsoft.ML.OnnxRuntime;

namespace Platform.Training.Onnx;

/// <summary>An exported model.onnx or model.int8.onnx in ONNX Runtime (CPU): input rows in, logits out.</summary>
public sealed class OnnxRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly long[] _rowShape;

    /// <param name="rowShape">One input's dimensions after the batch: [features], or [channels, height, width].</param>
    public OnnxRunner(string path, long[] rowShape, int threads = 1)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"no ONNX file at {path}", path);
        using var options = new SessionOptions { IntraOpNumThreads = Math.Max(1, threads), InterOpNumThreads = 1 };
        try
        {
            _session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{path}: ONNX Runtime cannot load it ({e.Message})", e);
        }

        _rowShape = rowShape;
        RowSize = (int)rowShape.Aggregate(1L, (a, b) => a * b);
    }

    public int RowSize { get; }

    /// <summary>Logits, row-major [rows × labels], of <paramref name="rows"/> inputs laid out one after another.</summary>
    public float[] Logits(float[] inputs, int rows)
    {
        if (inputs.Length != rows * RowSize)
            throw new ArgumentException($"{inputs.Length} values for {rows} rows of {RowSize}");
        using var value = OrtValue.CreateTensorValueFromMemory(inputs, [rows, .. _rowShape]);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, [OnnxExport.InputName], [value], [OnnxExport.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Logits of a text model's tokenised batch (input ids, attention mask, token types).</summary>
    public float[] TextLogits(Tokenization.EncodedBatch batch)
    {
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        using var ids = OrtValue.CreateTensorValueFromMemory(batch.InputIds, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(batch.AttentionMask, shape);
        using var types = OrtValue.CreateTensorValueFromMemory(batch.TokenTypeIds, shape);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, OnnxExport.TextInputNames, [ids, mask, types], [OnnxExport.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose() => _session.Dispose();
}
