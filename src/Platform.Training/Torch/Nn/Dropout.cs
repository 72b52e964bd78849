namespace Platform.Training.Torch.Nn;

/// <summary>Active only in training mode; returns the input unchanged (a new handle) in eval mode.</summary>
public sealed class Dropout(double p) : Module
{
    public double P { get; } = p;

    public Tensor Forward(Tensor input) => Functional.Dropout(input, P, Training && P > 0);
}
