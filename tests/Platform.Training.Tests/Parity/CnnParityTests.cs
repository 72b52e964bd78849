using Platform.Training.Models.Cnn;
using Platform.Training.Tests.Common;
using Platform.Training.Torch;
using TorchApi = Platform.Training.Torch.Torch;

namespace Platform.Training.Tests.Parity;

[Collection(Torch.LiveTensorCollection.Name)] // seeds the process-wide generator
public sealed class CnnParityTests
{
    [Fact]
    public void SimpleCnn_LogitsAndAdamWStep_MatchPyTorch() => AssertParity(new CnnConfig
    {
        InChannels = 1, ImageHeight = 12, ImageWidth = 12, Channels = [4, 8], ConvsPerStage = 2, HiddenSize = 16,
        ConvDropout = 0, Dropout = 0, Mean = [0.5f], Std = [0.5f],
    });

    [Fact]
    public void ResNet_LogitsAndAdamWStep_MatchPyTorch() => AssertParity(new CnnConfig
    {
        Architecture = CnnConfig.ResNetArchitecture, InChannels = 3, ImageHeight = 16, ImageWidth = 16, Channels = [4, 8, 8],
        HiddenSize = 0, ConvDropout = 0, Dropout = 0, Mean = [0.5f, 0.5f, 0.5f], Std = [0.25f, 0.25f, 0.25f],
    });

    private static void AssertParity(CnnConfig config)
    {
        using var dir = new TestDirectory();
        TorchApi.ManualSeed(21);
        config.WithLabels(["cat", "dog", "bird", "fish"]);
        using var model = new CnnClassifier(config);
        ParityStep.Randomize(model, 0.3);
        var modelDir = Path.Combine(dir.Path, "model");
        model.Save(modelDir);

        using var scope = TorchApi.NewDisposeScope();
        var images = Tensor.Randn([6, config.InChannels, config.ImageHeight, config.ImageWidth]);
        var labels = Tensor.FromSpan([0L, 1, 2, 3, 1, 0], [6]);
        var inputs = ParityStep.Hyperparameters();
        inputs["images"] = images;
        inputs["labels"] = labels;
        var inputsPath = Path.Combine(dir.Path, "inputs.safetensors");
        TensorFiles.Save(inputsPath, inputs);

        var reference = PythonReference.Run("cnn", modelDir, inputsPath, dir.Path);

        model.Eval();
        Tensor logits;
        using (TorchApi.NoGrad()) logits = model.Forward(images);
        Assert.True(PythonReference.MaxAbsDiff(reference["logits"], logits) <= 1e-4);
        var (loss, norm) = ParityStep.Run(model, () => model.Forward(images), labels);
        Assert.Equal(reference["loss"].Item(), loss, 1e-4);
        Assert.Equal(reference["grad_norm"].Item(), norm, 1e-4);
        // Includes the batch-norm running statistics and num_batches_tracked updated in training mode.
        PythonReference.AssertStateMatches(reference, model.StateDict(), 1e-4);
        foreach (var t in reference.Values) t.Dispose();
    }
}
