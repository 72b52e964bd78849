using Platform.Training.Torch;
using Platform.Training.Torch.Nn;
using Platform.Training.Torch.Optim;
using TorchApi = Platform.Training.Torch.Torch;

namespace Platform.Training.Tests.Parity;

/// <summary>The training step parity.py mirrors: cross-entropy, clip to max_norm, one AdamW step.</summary>
internal static class ParityStep
{
    public const double LearningRate = 1e-2; // large enough that a wrong update misses the 1e-4 tolerance
    public const double WeightDecay = 0.1;
    public const double MaxNorm = 1.0;

    public static Dictionary<string, Tensor> Hyperparameters() => new()
    {
        ["hp.lr"] = Tensor.FromSpan([LearningRate], []).DetachFromDisposeScope(),
        ["hp.weight_decay"] = Tensor.FromSpan([WeightDecay], []).DetachFromDisposeScope(),
        ["hp.max_norm"] = Tensor.FromSpan([MaxNorm], []).DetachFromDisposeScope(),
    };

    public static (double Loss, double GradNorm) Run(Module model, Func<Tensor> forward, Tensor labels)
    {
        using var scope = TorchApi.NewDisposeScope();
        model.Train();
        using var optimizer = AdamW.ForModel(model, LearningRate, WeightDecay);
        var loss = Functional.CrossEntropy(forward(), labels);
        loss.Backward();
        var norm = GradientClipping.ClipGradNorm(model.Parameters(), MaxNorm);
        optimizer.Step();
        return (loss.Item(), norm);
    }

    /// <summary>Makes every parameter and buffer non-trivial so a misnamed or misused tensor shows up.</summary>
    public static void Randomize(Module model, double scale)
    {
        using var noGrad = TorchApi.NoGrad();
        foreach (var (name, t) in model.StateDict())
        {
            if (t.DType != ScalarType.Float32) continue;
            if (name.EndsWith("running_var", StringComparison.Ordinal)) t.Uniform_(0.5, 1.5);
            else if (name.EndsWith("LayerNorm.weight", StringComparison.Ordinal) || name.EndsWith("bn.weight", StringComparison.Ordinal)) t.Normal_(1.0, 0.1);
            else t.Normal_(0, scale);
        }
    }
}
