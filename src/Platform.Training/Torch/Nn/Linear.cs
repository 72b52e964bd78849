namespace Platform.Training.Torch.Nn;

public sealed class Linear : Module
{
    public Linear(long inFeatures, long outFeatures, bool hasBias = true)
    {
        // torch.nn.Linear's default (kaiming_uniform with a=sqrt(5)) reduces to U(-1/sqrt(in), 1/sqrt(in)).
        var bound = 1.0 / Math.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", Tensor.Empty([outFeatures, inFeatures]).Uniform_(-bound, bound));
        if (hasBias) Bias = RegisterParameter("bias", Tensor.Empty([outFeatures]).Uniform_(-bound, bound));
    }

    public Tensor Weight { get; }

    public Tensor? Bias { get; }

    public Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);
}
