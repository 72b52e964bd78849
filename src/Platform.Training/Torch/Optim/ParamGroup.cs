namespace Platform.Training.Torch.Optim;

/// <summary>Named parameters sharing one weight decay (names key the optimiser state in checkpoints).</summary>
public sealed record ParamGroup(IReadOnlyList<KeyValuePair<string, Tensor>> Parameters, double WeightDecay);
