using System.Diagnostics;
using Platform.Training.Models.Bert;
using Platform.Training.SafeTensors;
using Platform.Training.Tests.Common;
using Platform.Training.Torch;
using TorchApi = Platform.Training.Torch.Torch;

namespace Platform.Training.Tests.Parity;

[Collection(Torch.LiveTensorCollection.Name)] // seeds the process-wide generator
public sealed class MaskedLmParityTests
{
    [Fact]
    public void BertForMaskedLM_LogitsLossAndAdamWStep_MatchPyTorch()
    {
        using var dir = new TestDirectory();
        TorchApi.ManualSeed(13);
        var config = new BertConfig
        {
            VocabSize = 50, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 48,
            MaxPositionEmbeddings = 24, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0,
        };
        using var model = new BertForMaskedLM(config);
        ParityStep.Randomize(model, 0.2);
        var modelDir = Path.Combine(dir.Path, "model");
        model.Save(modelDir);

        using var scope = TorchApi.NewDisposeScope();
        const int rows = 3, columns = 10;
        int[] lengths = [10, 6, 3];
        var ids = new long[rows * columns];
        var mask = new long[ids.Length];
        var labels = Enumerable.Repeat(-100L, ids.Length).ToArray();
        var random = new Random(7);
        for (var row = 0; row < rows; row++)
        {
            for (var col = 0; col < lengths[row]; col++)
            {
                ids[row * columns + col] = random.Next(1, 50);
                mask[row * columns + col] = 1;
                // Every third real token is a prediction target; its input may be anything (here: the token itself or 4, [MASK]).
                if (col % 3 == 1)
                {
                    labels[row * columns + col] = random.Next(1, 50);
                    if (col % 2 == 1) ids[row * columns + col] = 4;
                }
            }
        }

        var inputIds = Tensor.FromSpan(ids, [rows, columns]);
        var attentionMask = Tensor.FromSpan(mask, [rows, columns]);
        var tokenTypes = Tensor.FromSpan(ids.Select((_, i) => (long)(i % columns >= 5 ? 1 : 0)).ToArray(), [rows, columns]);
        var selected = Enumerable.Range(0, ids.Length).Where(i => labels[i] != -100).Select(i => (long)i).ToArray();
        var positions = Tensor.FromSpan(selected, [selected.Length]);
        var targets = Tensor.FromSpan(selected.Select(i => labels[i]).ToArray(), [selected.Length]);
        var inputs = ParityStep.Hyperparameters();
        inputs["input_ids"] = inputIds;
        inputs["attention_mask"] = attentionMask;
        inputs["token_type_ids"] = tokenTypes;
        inputs["labels"] = Tensor.FromSpan(labels, [rows, columns]);
        var inputsPath = Path.Combine(dir.Path, "inputs.safetensors");
        TensorFiles.Save(inputsPath, inputs);
        // The decoder is tied to the word embeddings: the file holds the matrix once, as Hugging Face saves it.
        Assert.False(SafeTensorsFile.Read(Path.Combine(modelDir, "model.safetensors")).TryGet("cls.predictions.decoder.weight", out _));

        var reference = RunReference(modelDir, inputsPath, dir.Path);

        model.Eval();
        Tensor logits, masked;
        using (TorchApi.NoGrad())
        {
            logits = model.Forward(inputIds, attentionMask, tokenTypes);
            masked = model.MaskedLogits(inputIds, attentionMask, tokenTypes, positions);
        }

        Assert.Equal([rows, columns, 50L], logits.Shape);
        Assert.True(PythonReference.MaxAbsDiff(reference["logits"], logits) <= 1e-4);
        var referenceMasked = reference["logits"].Reshape(-1, 50).IndexSelect(0, positions);
        Assert.True(PythonReference.MaxAbsDiff(referenceMasked, masked) <= 1e-4);
        var (loss, norm) = ParityStep.Run(model, () => model.MaskedLogits(inputIds, attentionMask, tokenTypes, positions), targets);
        Assert.Equal(reference["loss"].Item(), loss, 1e-4);
        Assert.Equal(reference["grad_norm"].Item(), norm, 1e-4);
        // The word embeddings get the gradient of both their uses (input and decoder) only if the tie holds.
        PythonReference.AssertStateMatches(reference, model.StateDict(), 1e-4,
            skip: name => name.EndsWith("attention.self.key.bias", StringComparison.Ordinal));
        foreach (var t in reference.Values) t.Dispose();
    }

    private static Dictionary<string, Tensor> RunReference(string modelDir, string inputsPath, string workDir)
    {
        var script = FindScript("mlm.py");
        var output = Path.Combine(workDir, "reference.safetensors");
        var info = new ProcessStartInfo(PythonReference.Python) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { script, modelDir, inputsPath, output }) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"reference failed ({process.ExitCode}): {stdout}{stderr.Result}");
        return TensorFiles.Load(output);
    }

    private static string FindScript(string name)
    {
        for (var dir = AppContext.BaseDirectory; !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            var candidate = Path.Combine(dir, "tests", "Platform.Training.Tests", "Parity", "py", name);
            if (File.Exists(candidate)) return candidate;
        }

        throw new FileNotFoundException($"Parity/py/{name} not found above {AppContext.BaseDirectory}");
    }
}
