using Platform.Training.Models.Bert;
using Platform.Training.Tests.Common;
using Platform.Training.Torch;
using TorchApi = Platform.Training.Torch.Torch;

namespace Platform.Training.Tests.Parity;

[Collection(Torch.LiveTensorCollection.Name)] // seeds the process-wide generator
public sealed class BertParityTests
{
    [Fact]
    public void BertForSequenceClassification_LogitsAndAdamWStep_MatchPyTorch()
    {
        using var dir = new TestDirectory();
        TorchApi.ManualSeed(11);
        var config = new BertConfig
        {
            VocabSize = 60, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 48,
            MaxPositionEmbeddings = 24, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0,
        }.WithLabels(["negative", "neutral", "positive"]);
        using var model = new BertForSequenceClassification(config);
        ParityStep.Randomize(model, 0.2);
        var modelDir = Path.Combine(dir.Path, "model");
        model.Save(modelDir);

        using var scope = TorchApi.NewDisposeScope();
        int[] lengths = [10, 7, 4, 1];
        var ids = new long[40];
        var mask = new long[40];
        var random = new Random(5);
        for (var row = 0; row < 4; row++)
        {
            for (var col = 0; col < 10; col++)
            {
                var real = col < lengths[row];
                ids[row * 10 + col] = real ? random.Next(1, 60) : config.PadTokenId;
                mask[row * 10 + col] = real ? 1 : 0;
            }
        }
        var inputIds = Tensor.FromSpan(ids, [4, 10]);
        var attentionMask = Tensor.FromSpan(mask, [4, 10]);
        var tokenTypes = Tensor.FromSpan(ids.Select((_, i) => (long)(i % 10 >= 5 ? 1 : 0)).ToArray(), [4, 10]);
        var labels = Tensor.FromSpan([0L, 2, 1, 2], [4]);
        var inputs = ParityStep.Hyperparameters();
        inputs["input_ids"] = inputIds;
        inputs["attention_mask"] = attentionMask;
        inputs["token_type_ids"] = tokenTypes;
        inputs["labels"] = labels;
        var inputsPath = Path.Combine(dir.Path, "inputs.safetensors");
        TensorFiles.Save(inputsPath, inputs);

        var reference = PythonReference.Run("bert", modelDir, inputsPath, dir.Path);

        model.Eval();
        Tensor logits;
        using (TorchApi.NoGrad()) logits = model.Forward(inputIds, attentionMask, tokenTypes);
        Assert.True(PythonReference.MaxAbsDiff(reference["logits"], logits) <= 1e-4);
        var (loss, norm) = ParityStep.Run(model, () => model.Forward(inputIds, attentionMask, tokenTypes), labels);
        Assert.Equal(reference["loss"].Item(), loss, 1e-4);
        Assert.Equal(reference["grad_norm"].Item(), norm, 1e-4);
        // The key bias adds the same q.b_k to every score of a query, which softmax cancels: its true
        // gradient is 0, both sides hold rounding noise (~1e-9), and Adam scales noise up to ~lr.
        PythonReference.AssertStateMatches(reference, model.StateDict(), 1e-4,
            skip: name => name.EndsWith("attention.self.key.bias", StringComparison.Ordinal));
        foreach (var t in reference.Values) t.Dispose();
    }
}
