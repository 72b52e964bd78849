using Platform.Training.Torch;
using Platform.Training.Torch.Nn;
using Platform.Training.Torch.Optim;
using TorchApi = Platform.Training.Torch.Torch;

namespace Platform.Training.Tests.Torch;

[Collection(LiveTensorCollection.Name)]
public sealed class DisposeScopeTests
{
    [Fact]
    public void TrainingStep_InsideScope_LeavesLiveTensorCountUnchanged()
    {
        TorchApi.ManualSeed(1);
        using var model = new TinyNet();
        using var optimizer = AdamW.ForModel(model, 1e-2);
        var inputs = Tensor.Randn([8, 4]).DetachFromDisposeScope();
        var labels = Tensor.FromSpan([0L, 1, 2, 0, 1, 2, 0, 1], [8]);
        RunStep(model, optimizer, inputs, labels); // first step creates the optimiser moments
        var before = LiveTensorCollection.SettledCount();

        for (var i = 0; i < 5; i++) RunStep(model, optimizer, inputs, labels);

        Assert.Equal(before, TorchApi.LiveTensorCount);
        inputs.Dispose();
        labels.Dispose();
    }

    [Fact]
    public void MoveToOuterScope_Survivor_OutlivesInnerScope()
    {
        var before = LiveTensorCollection.SettledCount();
        Tensor survivor;
        using (var outer = TorchApi.NewDisposeScope())
        {
            using (var inner = TorchApi.NewDisposeScope())
            {
                var a = Tensor.Ones([3]);
                survivor = (a * 2.0).MoveToOuterScope();
                Assert.Equal(1, inner.Count); // only `a`: the product moved out
            }
            Assert.False(survivor.IsDisposed);
            Assert.Equal([2f, 2f, 2f], survivor.ToFloatArray());
            Assert.Equal(before + 1, TorchApi.LiveTensorCount);
        }
        Assert.True(survivor.IsDisposed);
        Assert.Equal(before, TorchApi.LiveTensorCount);
    }

    [Fact]
    public void DetachFromDisposeScope_CallerOwnsTensorAfterScope()
    {
        var before = LiveTensorCollection.SettledCount();
        Tensor kept;
        using (TorchApi.NewDisposeScope())
        {
            kept = Tensor.Zeros([2]).DetachFromDisposeScope();
            _ = Tensor.Zeros([5]);
        }
        Assert.Equal(before + 1, TorchApi.LiveTensorCount);
        kept.Dispose();
        kept.Dispose(); // idempotent
        Assert.Equal(before, TorchApi.LiveTensorCount);
    }

    private static void RunStep(TinyNet model, AdamW optimizer, Tensor inputs, Tensor labels)
    {
        using var scope = TorchApi.NewDisposeScope();
        optimizer.ZeroGrad();
        var loss = Functional.CrossEntropy(model.Forward(inputs), labels);
        loss.Backward();
        GradientClipping.ClipGradNorm(model.Parameters(), 1.0);
        optimizer.Step();
        Assert.True(double.IsFinite(loss.Item()));
    }

    private sealed class TinyNet : Module
    {
        private readonly Linear first;
        private readonly LayerNorm norm;
        private readonly Dropout dropout = new(0.1);
        private readonly Linear second;

        public TinyNet()
        {
            first = RegisterModule("first", new Linear(4, 16));
            norm = RegisterModule("norm", new LayerNorm(16));
            second = RegisterModule("second", new Linear(16, 3));
        }

        public Tensor Forward(Tensor x) => second.Forward(dropout.Forward(norm.Forward(first.Forward(x)).Gelu()));
    }
}
