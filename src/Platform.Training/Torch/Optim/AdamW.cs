using Platform.Training.Torch.Nn;

namespace Platform.Training.Torch.Optim;

/// <summary>
/// torch.optim.AdamW (decoupled weight decay). The update runs natively per parameter with the same
/// sequence of in-place ops as PyTorch's single-tensor path; the moments live here as tensors so the
/// whole state can be checkpointed through <see cref="StateDict"/>.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly List<ParamGroup> groups;
    private readonly Dictionary<string, (Tensor ExpAvg, Tensor ExpAvgSq)> state = new(StringComparer.Ordinal);

    public AdamW(IEnumerable<ParamGroup> groups, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        this.groups = groups.ToList();
        var names = this.groups.SelectMany(g => g.Parameters).Select(p => p.Key).ToList();
        if (names.Count != names.Distinct(StringComparer.Ordinal).Count()) throw new ArgumentException("a parameter appears in more than one group");
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
    }

    /// <summary>
    /// The usual fine-tuning split (Hugging Face's no_decay list): decay on weight matrices and
    /// kernels, none on biases and normalisation weights, i.e. on every 1-D parameter.
    /// </summary>
    public static AdamW ForModel(Module model, double learningRate, double weightDecay = 0.01)
    {
        var all = model.NamedParameters().ToList();
        var decay = all.Where(p => p.Value.Dim > 1).ToList();
        var noDecay = all.Where(p => p.Value.Dim <= 1).ToList();
        return new AdamW([new ParamGroup(decay, weightDecay), new ParamGroup(noDecay, 0.0)], learningRate);
    }

    public double LearningRate { get; set; }

    public double Beta1 { get; }

    public double Beta2 { get; }

    public double Eps { get; }

    /// <summary>Number of optimiser steps taken (PyTorch's per-parameter "step", shared here).</summary>
    public long StepCount { get; internal set; }

    public IReadOnlyList<ParamGroup> Groups => groups;

    public void Step()
    {
        StepCount++;
        foreach (var group in groups)
        {
            foreach (var (name, param) in group.Parameters)
            {
                var (expAvg, expAvgSq) = Moments(name, param);
                NativeMethods.Check(NativeMethods.pt_adamw_step(param.Handle, expAvg.Handle, expAvgSq.Handle,
                    LearningRate, Beta1, Beta2, Eps, group.WeightDecay, StepCount));
            }
        }
    }

    public void ZeroGrad()
    {
        foreach (var (_, param) in groups.SelectMany(g => g.Parameters)) param.ZeroGrad();
    }

    /// <summary>"step" plus "{name}.exp_avg" / "{name}.exp_avg_sq" per parameter; new tensors owned by the caller.</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["step"] = Tensor.FromSpan([StepCount], []).DetachFromDisposeScope(),
        };
        foreach (var (name, (expAvg, expAvgSq)) in state)
        {
            result[name + ".exp_avg"] = expAvg.Clone().DetachFromDisposeScope();
            result[name + ".exp_avg_sq"] = expAvgSq.Clone().DetachFromDisposeScope();
        }
        return result;
    }

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> source)
    {
        if (!source.TryGetValue("step", out var step)) throw new InvalidDataException("optimiser state has no 'step'");
        StepCount = step.ItemInt64();
        using var noGrad = Torch.NoGrad();
        foreach (var (name, param) in groups.SelectMany(g => g.Parameters))
        {
            var hasAvg = source.TryGetValue(name + ".exp_avg", out var avg);
            var hasSq = source.TryGetValue(name + ".exp_avg_sq", out var sq);
            if (!hasAvg || !hasSq)
            {
                if (StepCount > 0) throw new InvalidDataException($"optimiser state lacks the moments of '{name}'");
                continue;
            }
            var (expAvg, expAvgSq) = Moments(name, param);
            expAvg.Copy_(avg!);
            expAvgSq.Copy_(sq!);
        }
    }

    /// <summary>
    /// Both moments of every parameter, in parameter order, created (zeros) where missing: the live
    /// tensors, for a data-parallel run to broadcast rank 0's state into.
    /// </summary>
    internal List<Tensor> AllMoments()
    {
        var all = new List<Tensor>();
        foreach (var (name, param) in groups.SelectMany(g => g.Parameters))
        {
            var (expAvg, expAvgSq) = Moments(name, param);
            all.Add(expAvg);
            all.Add(expAvgSq);
        }
        return all;
    }

    private (Tensor ExpAvg, Tensor ExpAvgSq) Moments(string name, Tensor param)
    {
        if (state.TryGetValue(name, out var moments)) return moments;
        var shape = param.Shape;
        moments = (Tensor.Zeros(shape, param.DType, param.Device).DetachFromDisposeScope(),
                   Tensor.Zeros(shape, param.DType, param.Device).DetachFromDisposeScope());
        state[name] = moments;
        return moments;
    }

    public void Dispose()
    {
        foreach (var (expAvg, expAvgSq) in state.Values)
        {
            expAvg.Dispose();
            expAvgSq.Dispose();
        }
        state.Clear();
    }
}
