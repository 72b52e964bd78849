using Platform.Training.Torch;
using TorchApi = Platform.Training.Torch.Torch;

namespace Platform.Training.Tests.Torch;

public sealed class AutogradTests
{
    [Fact]
    public void Backward_SumOfSquares_GradientIsTwiceInput()
    {
        using var scope = TorchApi.NewDisposeScope();
        var x = Tensor.FromSpan([1f, -2f, 3f], [3]);
        x.RequiresGrad = true;
        (x * x).Sum().Backward();
        Assert.Equal([2f, -4f, 6f], x.Grad!.ToFloatArray());
    }

    [Fact]
    public void ZeroGrad_AfterBackward_DropsGradient()
    {
        using var scope = TorchApi.NewDisposeScope();
        var x = Tensor.Ones([2]);
        x.RequiresGrad = true;
        x.Sum().Backward();
        Assert.NotNull(x.Grad);
        x.ZeroGrad();
        Assert.Null(x.Grad);
    }

    [Fact]
    public void NoGrad_OperationsOnParameters_DoNotRequireGrad()
    {
        using var scope = TorchApi.NewDisposeScope();
        var w = Tensor.Ones([2]);
        w.RequiresGrad = true;
        using (TorchApi.NoGrad())
        {
            Assert.False(TorchApi.IsGradEnabled);
            Assert.False((w * 3.0).RequiresGrad);
        }
        Assert.True(TorchApi.IsGradEnabled);
        Assert.True((w * 3.0).RequiresGrad);
    }

    [Fact]
    public void Detach_CutsGraph()
    {
        using var scope = TorchApi.NewDisposeScope();
        var w = Tensor.Ones([2]);
        w.RequiresGrad = true;
        Assert.False((w * 2.0).Detach().RequiresGrad);
    }
}
