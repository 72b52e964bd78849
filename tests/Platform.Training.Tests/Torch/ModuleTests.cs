using Platform.Training.Tests.Common;
using Platform.Training.Torch;
using Platform.Training.Torch.Nn;
using TorchApi = Platform.Training.Torch.Torch;

namespace Platform.Training.Tests.Torch;

public sealed class ModuleTests
{
    [Fact]
    public void ToBFloat16_ConvertsFloatTensorsOnly_AndForwardRuns()
    {
        using var scope = TorchApi.NewDisposeScope();
        using var norm = new BatchNorm2d(2);
        norm.To(ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, norm.Weight.DType);
        Assert.Equal(ScalarType.BFloat16, norm.RunningMean.DType);
        Assert.Equal(ScalarType.Int64, norm.NumBatchesTracked.DType);
        Assert.True(norm.Weight.RequiresGrad);
        norm.Eval();
        var output = norm.Forward(Tensor.Ones([1, 2, 2, 2]).To(ScalarType.BFloat16));
        Assert.Equal(ScalarType.BFloat16, output.DType);
    }

    [Fact]
    public void StateDict_SavedAsSafeTensors_RoundTripsDTypes()
    {
        using var dir = new TestDirectory();
        using var scope = TorchApi.NewDisposeScope();
        using var norm = new BatchNorm2d(3);
        norm.To(ScalarType.BFloat16);
        var path = dir.File("norm.safetensors");
        TensorFiles.Save(path, norm.StateDict());
        var loaded = TensorFiles.Load(path);
        Assert.Equal(ScalarType.BFloat16, loaded["weight"].DType);
        Assert.Equal(ScalarType.Int64, loaded["num_batches_tracked"].DType);
        Assert.Equal(norm.RunningVar.ToBFloat16Bits(), loaded["running_var"].ToBFloat16Bits());
        foreach (var t in loaded.Values) t.Dispose();
    }

    [Fact]
    public void LoadStateDict_MissingAndExtraNames_ListsEveryProblem()
    {
        using var scope = TorchApi.NewDisposeScope();
        using var layer = new Linear(2, 2);
        var state = new Dictionary<string, Tensor> { ["weight"] = Tensor.Zeros([2, 2]), ["extra"] = Tensor.Zeros([1]) };
        var error = Assert.Throws<InvalidDataException>(() => layer.LoadStateDict(state));
        Assert.Contains("missing tensor 'bias'", error.Message);
        Assert.Contains("unexpected tensor 'extra'", error.Message);
    }

    [Fact]
    public void EvalMode_Dropout_IsIdentity()
    {
        using var scope = TorchApi.NewDisposeScope();
        var dropout = new Dropout(0.9);
        var x = Tensor.Ones([100]);
        dropout.Eval();
        Assert.All(dropout.Forward(x).ToFloatArray(), v => Assert.Equal(1f, v));
        dropout.Train();
        Assert.Contains(0f, dropout.Forward(x).ToFloatArray());
    }
}
