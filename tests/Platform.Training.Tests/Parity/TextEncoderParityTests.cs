using Platform.Training.Models.Bert;
using Platform.Training.Models.DistilBert;
using Platform.Training.Tests.Common;
using Platform.Training.Torch;
using Platform.Training.Training;
using TorchApi = Platform.Training.Torch.Torch;

namespace Platform.Training.Tests.Parity;

/// <summary>
/// DistilBERT and bare encoders (what the Hub serves for sentence-transformers MiniLM or
/// distilbert-base-uncased) against transformers' maths re-implemented in plain PyTorch (py/models.py).
/// </summary>
[Collection(Torch.LiveTensorCollection.Name)] // seeds the process-wide generator
public sealed class TextEncoderParityTests
{
    private const int Vocab = 60;

    [Fact]
    public void DistilBertForSequenceClassification_LogitsAndAdamWStep_MatchPyTorch()
    {
        using var dir = new TestDirectory();
        TorchApi.ManualSeed(12);
        var config = TinyDistilBert().WithLabels(["negative", "neutral", "positive"]);
        using var model = new DistilBertForSequenceClassification(config);
        ParityStep.Randomize(model, 0.2);
        var modelDir = Path.Combine(dir.Path, "model");
        model.Save(modelDir);

        using var scope = TorchApi.NewDisposeScope();
        var (inputIds, attentionMask, tokenTypes) = Inputs(config.PadTokenId);
        var labels = Tensor.FromSpan([0L, 2, 1, 2], [4]);
        var inputsPath = WriteInputs(dir, inputIds, attentionMask, tokenTypes, labels);

        // strict=True on the Python side: the saved names are DistilBertForSequenceClassification's.
        var reference = PythonReference.Run("distilbert", modelDir, inputsPath, dir.Path);

        model.Eval();
        Tensor logits;
        using (TorchApi.NoGrad()) logits = model.Forward(inputIds, attentionMask, tokenTypes);
        var diff = PythonReference.MaxAbsDiff(reference["logits"], logits);
        Assert.True(diff <= 1e-4, $"logits differ from PyTorch by {diff}");
        var (loss, norm) = ParityStep.Run(model, () => model.Forward(inputIds, attentionMask, tokenTypes), labels);
        Assert.Equal(reference["loss"].Item(), loss, 1e-4);
        Assert.Equal(reference["grad_norm"].Item(), norm, 1e-4);
        // As for BERT: the key bias cancels in softmax, its gradient is rounding noise on both sides.
        PythonReference.AssertStateMatches(reference, model.StateDict(), 1e-4,
            skip: name => name.EndsWith("attention.k_lin.bias", StringComparison.Ordinal));
        foreach (var t in reference.Values) t.Dispose();
    }

    [Fact]
    public void DistilBert_TokenTypes_AreIgnored()
    {
        TorchApi.ManualSeed(3);
        using var model = new DistilBertForSequenceClassification(TinyDistilBert());
        model.Eval();
        using var scope = TorchApi.NewDisposeScope();
        var (ids, mask, types) = Inputs(0);
        using var noGrad = TorchApi.NoGrad();
        var with = model.Forward(ids, mask, types);
        var without = model.Forward(ids, mask);
        Assert.Equal(0.0, PythonReference.MaxAbsDiff(with, without));
    }

    [Fact]
    public void ForFineTuning_BareMiniLmEncoderWithoutPooler_LoadsItsWeightsAndMatchesPyTorch()
    {
        using var dir = new TestDirectory();
        TorchApi.ManualSeed(21);
        // all-MiniLM-L6-v2's shape, scaled down: a BertModel checkpoint (no "bert." prefix, no head).
        var config = new BertConfig
        {
            Architectures = ["BertModel"], VocabSize = Vocab, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4,
            IntermediateSize = 64, MaxPositionEmbeddings = 24, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0,
        };
        var baseDir = Path.Combine(dir.Path, "base");
        Directory.CreateDirectory(baseDir);
        using (var source = new BertForSequenceClassification(config))
        {
            ParityStep.Randomize(source, 0.2);
            var bare = source.StateDict()
                .Where(kv => kv.Key.StartsWith("bert.", StringComparison.Ordinal) && !kv.Key.StartsWith("bert.pooler.", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key["bert.".Length..], kv => kv.Value);
            TensorFiles.Save(Path.Combine(baseDir, "model.safetensors"), bare);
        }
        config.Save(Path.Combine(baseDir, "config.json"));
        WriteVocabulary(Path.Combine(baseDir, "vocab.txt"));

        var log = new List<string>();
        using var classifier = BertClassifier.ForFineTuning(baseDir, ["neg", "neu", "pos"], Device.Cpu, log.Add);

        Assert.Contains(log, line => line.Contains("bert.pooler.dense", StringComparison.Ordinal));
        // What transformers initialises for a missing Linear: normal(0, initializer_range) weights, zero bias.
        var state = classifier.Model.StateDict();
        Assert.Equal(0f, Abs(state["bert.pooler.dense.bias"]).Max());
        Assert.InRange(Std(state["bert.pooler.dense.weight"]), 0.016, 0.024);
        AssertParity(dir, "bert", classifier, Path.Combine(baseDir, "model.safetensors"));
    }

    [Fact]
    public void ForFineTuning_BareDistilBertWithMaskedLmHead_LoadsItsWeightsAndMatchesPyTorch()
    {
        using var dir = new TestDirectory();
        TorchApi.ManualSeed(22);
        var config = TinyDistilBert();
        config.Architectures = ["DistilBertForMaskedLM"];
        var baseDir = Path.Combine(dir.Path, "base");
        Directory.CreateDirectory(baseDir);
        using (var scope = TorchApi.NewDisposeScope())
        using (var source = new DistilBertForSequenceClassification(config))
        {
            ParityStep.Randomize(source, 0.2);
            // distilbert-base-uncased as the Hub has it: DistilBertForMaskedLM's names, vocab_* head included.
            var checkpoint = source.StateDict()
                .Where(kv => kv.Key.StartsWith("distilbert.", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key, kv => kv.Value);
            checkpoint["vocab_transform.weight"] = Tensor.Zeros([config.Dim, config.Dim]);
            checkpoint["vocab_transform.bias"] = Tensor.Zeros([config.Dim]);
            checkpoint["vocab_layer_norm.weight"] = Tensor.Zeros([config.Dim]);
            checkpoint["vocab_layer_norm.bias"] = Tensor.Zeros([config.Dim]);
            checkpoint["vocab_projector.bias"] = Tensor.Zeros([config.VocabSize]);
            TensorFiles.Save(Path.Combine(baseDir, "model.safetensors"), checkpoint);
        }
        config.Save(Path.Combine(baseDir, "config.json"));
        WriteVocabulary(Path.Combine(baseDir, "vocab.txt"));

        var log = new List<string>();
        using var classifier = BertClassifier.ForFineTuning(baseDir, ["neg", "neu", "pos"], Device.Cpu, log.Add);

        Assert.IsType<DistilBertForSequenceClassification>(classifier.Model);
        Assert.Contains(log, line => line.Contains("pre_classifier", StringComparison.Ordinal));
        AssertParity(dir, "distilbert", classifier, Path.Combine(baseDir, "model.safetensors"));
    }

    [Fact]
    public void BareDistilBertModelNames_WithoutPrefix_AreAccepted()
    {
        using var dir = new TestDirectory();
        TorchApi.ManualSeed(23);
        var config = TinyDistilBert();
        float[] expected;
        using (var source = new DistilBertForSequenceClassification(config))
        {
            var bare = source.StateDict()
                .Where(kv => kv.Key.StartsWith("distilbert.", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key["distilbert.".Length..], kv => kv.Value);
            TensorFiles.Save(dir.File("model.safetensors"), bare);
            expected = source.StateDict()["distilbert.transformer.layer.1.ffn.lin2.weight"].ToFloatArray();
        }
        config.Save(dir.File("config.json"));
        WriteVocabulary(dir.File("vocab.txt"));

        using var classifier = BertClassifier.ForFineTuning(dir.Path, ["a", "b"], Device.Cpu);

        Assert.Equal(expected, classifier.Model.StateDict()["distilbert.transformer.layer.1.ffn.lin2.weight"].ToFloatArray());
    }

    /// <summary>
    /// The loaded classifier against the reference built from the bare checkpoint itself plus the head
    /// (and pooler) the C# side initialised: equal logits mean every encoder tensor was loaded where it belongs.
    /// </summary>
    private static void AssertParity(TestDirectory dir, string kind, BertClassifier classifier, string basePath)
    {
        var saved = Path.Combine(dir.Path, "saved");
        classifier.Save(saved);
        using var scope = TorchApi.NewDisposeScope();
        var (ids, mask, types) = Inputs(0);
        var inputsPath = WriteInputs(dir, ids, mask, types, Tensor.FromSpan([0L, 2, 1, 2], [4]));
        var reference = PythonReference.Run(kind, saved, inputsPath, dir.Path, basePath);
        classifier.Model.Eval();
        Tensor logits;
        using (TorchApi.NoGrad()) logits = classifier.Model.Forward(ids, mask, types);
        var diff = PythonReference.MaxAbsDiff(reference["logits"], logits);
        Assert.True(diff <= 1e-4, $"logits differ from PyTorch by {diff}");
        foreach (var t in reference.Values) t.Dispose();
    }

    private static DistilBertConfig TinyDistilBert() => new()
    {
        VocabSize = Vocab, Dim = 32, Layers = 2, Heads = 4, HiddenDim = 48, MaxPositionEmbeddings = 24,
        Dropout = 0, AttentionDropout = 0, SeqClassifDropout = 0,
    };

    private static void WriteVocabulary(string path) =>
        File.WriteAllLines(path, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Enumerable.Range(0, Vocab - 5).Select(i => $"w{i}")]);

    /// <summary>Four rows of lengths 10, 7, 4, 1 padded to 10, random ids, token types 0/1.</summary>
    private static (Tensor Ids, Tensor Mask, Tensor Types) Inputs(int padId)
    {
        int[] lengths = [10, 7, 4, 1];
        var ids = new long[40];
        var mask = new long[40];
        var random = new Random(5);
        for (var row = 0; row < 4; row++)
        {
            for (var col = 0; col < 10; col++)
            {
                var real = col < lengths[row];
                ids[row * 10 + col] = real ? random.Next(1, Vocab) : padId;
                mask[row * 10 + col] = real ? 1 : 0;
            }
        }
        return (Tensor.FromSpan(ids, [4, 10]), Tensor.FromSpan(mask, [4, 10]),
            Tensor.FromSpan(ids.Select((_, i) => (long)(i % 10 >= 5 ? 1 : 0)).ToArray(), [4, 10]));
    }

    private static string WriteInputs(TestDirectory dir, Tensor ids, Tensor mask, Tensor types, Tensor labels)
    {
        var inputs = ParityStep.Hyperparameters();
        inputs["input_ids"] = ids;
        inputs["attention_mask"] = mask;
        inputs["token_type_ids"] = types;
        inputs["labels"] = labels;
        var path = Path.Combine(dir.Path, "inputs.safetensors");
        TensorFiles.Save(path, inputs);
        return path;
    }

    private static float[] Abs(Tensor t) => t.ToFloatArray().Select(Math.Abs).ToArray();

    private static double Std(Tensor t)
    {
        var values = t.ToFloatArray();
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
    }
}
