namespace Platform.Training.Torch.Nn;

public sealed class Embedding : Module
{
    public Embedding(long count, long dim, long paddingIdx = -1)
    {
        PaddingIdx = paddingIdx;
        Weight = RegisterParameter("weight", Tensor.Empty([count, dim]).Normal_(0, 1));
    }

    public Tensor Weight { get; }

    public long PaddingIdx { get; }

    public Tensor Forward(Tensor indices) => Functional.Embedding(Weight, indices, PaddingIdx);
}
