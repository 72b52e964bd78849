using Microsoft.ML.OnnxRuntime;
using Platform.Training.Onnx;
using Platform.Training.Tabular;
using Platform.Training.Tests.Common;
using Platform.Training.Training;
using Platform.Training.Torch;

namespace Platform.Training.Tests.Onnx;

/// <summary>
/// The exported ONNX files run in Microsoft.ML.OnnxRuntime 1.31.1 (its native library, on this OS) and
/// give the platform's own logits: within 1e-4 for the float model, and close for the int8 one.
/// </summary>
[Collection(Training.TrainerCollection.Name)]
public sealed class OnnxExportTests
{
    public static TheoryData<string> ImagePresets => ["cnn-28-grey", "mlp-28-grey", "cnn-32-rgb", "resnet-small"];

    [Theory]
    [MemberData(nameof(ImagePresets))]
    public void Export_ImagePreset_OnnxRuntimeGivesTheSameLogits(string preset)
    {
        using var dir = new TestDirectory();
        Platform.Training.Torch.Torch.ManualSeed(3);
        using var model = CnnImageClassifier.ForTraining(preset, ["a", "b", "c"], Device.Cpu);
        // Batch-norm statistics away from their initial 0/1, so inference-mode batch norm is really exercised.
        model.Model.Train();
        var config = model.Config;
        var random = new Random(1);
        var pixels = Enumerable.Range(0, 4 * model.ImageSize).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        using (Platform.Training.Torch.Torch.NoGrad())
        using (model.Logits(pixels, 4)) { }
        model.Model.Eval();
        var (full, int8) = OnnxExport.Save(model, dir.Path);

        float[] expected;
        using (Platform.Training.Torch.Torch.NoGrad())
        using (var logits = model.Logits(pixels, 4))
            expected = logits.ToFloatArray();
        var actual = Run(full, pixels, [4, config.InChannels, config.ImageHeight, config.ImageWidth]);
        var quantised = Run(int8, pixels, [4, config.InChannels, config.ImageHeight, config.ImageWidth]);

        AssertClose(expected, actual, 1e-4);
        Assert.True(new FileInfo(int8).Length < new FileInfo(full).Length);
        // int8 weights and activations: close, not equal.
        var spread = expected.Max() - expected.Min();
        Assert.True(expected.Zip(quantised).Max(p => Math.Abs(p.First - p.Second)) < 0.2 * spread + 0.05,
            $"int8 logits {string.Join(", ", quantised)} vs {string.Join(", ", expected)}");
        Assert.NotEqual(expected, quantised);
    }

    [Fact]
    public void Export_TrainedTabularModel_OnnxRuntimeMatchesAndInt8KeepsThePredictions()
    {
        using var dir = new TestDirectory();
        TestData.WriteChurnCsv(dir.File("churn.csv"), 300);
        Trainer.Train(new TrainingRequest(dir.File("churn.csv"), TabularClassifier.Preset, dir.File("out"),
            new TrainingOptions { Epochs = 20, Threads = 1, TabularColumns = new TabularColumns("churn", ["customer_id"]) }));
        using var model = TabularClassifier.Load(dir.File("out"), Device.Cpu);
        var table = TabularTable.Load(dir.File("churn.csv"));
        var features = model.Preprocessor.TransformTable(table);
        var (full, int8) = OnnxExport.Save(model, dir.File("out"));

        var expected = model.Predict(table).SelectMany(p => p.Logits).ToArray();
        var actual = Run(full, features, [table.Rows.Count, model.Preprocessor.Width]);
        var quantised = Run(int8, features, [table.Rows.Count, model.Preprocessor.Width]);

        AssertClose(expected, actual, 1e-4);
        var agree = Enumerable.Range(0, table.Rows.Count).Count(r => ArgMax(expected, r) == ArgMax(quantised, r));
        Assert.True(agree >= table.Rows.Count * 0.95, $"int8 agrees on {agree} of {table.Rows.Count} rows");
    }

    [Fact]
    public void Export_TinyBert_OnnxRuntimeGivesTheSameLogitsWithPadding()
    {
        using var dir = new TestDirectory();
        TestData.WriteTinyBertConfig(dir.File("bert-config.json"));
        TestData.WriteVocabulary(dir.File("bert-vocab.txt"));
        BertClassifier.Initialise(dir.File("bert-config.json"), dir.File("bert-vocab.txt"), ["neg", "pos"], dir.File("bert"), seed: 7);
        using var model = (BertClassifier)ClassifierModel.Load(dir.File("bert"), Device.Cpu);
        model.Model.Eval();
        // Different lengths: the short rows are padded, so the attention mask matters.
        var ids = new[] { "good movie", "the movie was so very bad and sad", "nice" }.Select(model.Tokenizer.TokenizeToIds).ToList();
        var batch = model.Tokenizer.BuildBatch(ids, 64, Platform.Training.Tokenization.PaddingStrategy.Longest);
        float[] expected;
        using (Platform.Training.Torch.Torch.NoGrad())
        using (var logits = model.Logits(ids, 64))
            expected = logits.ToFloatArray();
        var full = dir.File("bert.onnx");
        var int8 = dir.File("bert.int8.onnx");
        File.WriteAllBytes(full, OnnxExport.Build(model, quantize: false));
        File.WriteAllBytes(int8, OnnxExport.Build(model, quantize: true));

        var actual = RunText(full, batch);
        var quantised = RunText(int8, batch);

        AssertClose(expected, actual, 1e-4);
        Assert.True(new FileInfo(int8).Length < new FileInfo(full).Length);
        Assert.True(expected.Zip(quantised).Max(p => Math.Abs(p.First - p.Second)) < 0.1,
            $"int8 logits {string.Join(", ", quantised)} vs {string.Join(", ", expected)}");
    }

    private static float[] RunText(string path, Platform.Training.Tokenization.EncodedBatch batch)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(path, options);
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        using var ids = OrtValue.CreateTensorValueFromMemory(batch.InputIds, shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(batch.AttentionMask, shape);
        using var types = OrtValue.CreateTensorValueFromMemory(batch.TokenTypeIds, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, OnnxExport.TextInputNames, [ids, mask, types], [OnnxExport.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static float[] Run(string path, float[] input, long[] shape)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(path, options);
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [OnnxExport.InputName], [value], [OnnxExport.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static int ArgMax(float[] logits, int row) => logits[row * 2] >= logits[row * 2 + 1] ? 0 : 1;

    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst <= tolerance, $"ONNX Runtime differs from the platform by {worst}");
    }
}
