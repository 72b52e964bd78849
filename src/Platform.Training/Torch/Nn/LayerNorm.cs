namespace Platform.Training.Torch.Nn;

public sealed class LayerNorm : Module
{
    private readonly long[] shape;

    public LayerNorm(long dim, double eps = 1e-5)
    {
        shape = [dim];
        Eps = eps;
        Weight = RegisterParameter("weight", Tensor.Ones([dim]));
        Bias = RegisterParameter("bias", Tensor.Zeros([dim]));
    }

    public Tensor Weight { get; }

    public Tensor Bias { get; }

    public double Eps { get; }

    public Tensor Forward(Tensor input) => Functional.LayerNorm(input, shape, Weight, Bias, Eps);
}
