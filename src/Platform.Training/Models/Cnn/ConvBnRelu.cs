using Platform.Training.Torch;
using Platform.Training.Torch.Nn;

namespace Platform.Training.Models.Cnn;

/// <summary>3x3 convolution (no bias: batch norm has one), batch norm, optional ReLU.</summary>
internal sealed class ConvBn : Module
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;

    public ConvBn(long inChannels, long outChannels, int kernel = 3, int stride = 1)
    {
        conv = RegisterModule("conv", new Conv2d(inChannels, outChannels, kernel, stride, kernel / 2, hasBias: false));
        bn = RegisterModule("bn", new BatchNorm2d(outChannels));
    }

    public Tensor Forward(Tensor input, bool relu)
    {
        using var c = conv.Forward(input);
        if (!relu) return bn.Forward(c);
        using var b = bn.Forward(c);
        return b.Relu();
    }
}
