namespace Platform.Training.Torch.Nn;

public sealed class Conv2d : Module
{
    public Conv2d(long inChannels, long outChannels, int kernel, int stride = 1, int padding = 0, bool hasBias = true)
    {
        Stride = stride;
        Padding = padding;
        // torch.nn.Conv2d's default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        var bound = 1.0 / Math.Sqrt(inChannels * kernel * kernel);
        Weight = RegisterParameter("weight", Tensor.Empty([outChannels, inChannels, kernel, kernel]).Uniform_(-bound, bound));
        if (hasBias) Bias = RegisterParameter("bias", Tensor.Empty([outChannels]).Uniform_(-bound, bound));
    }

    public Tensor Weight { get; }

    public Tensor? Bias { get; }

    public int Stride { get; }

    public int Padding { get; }

    public Tensor Forward(Tensor input) => Functional.Conv2d(input, Weight, Bias, Stride, Padding);
}
