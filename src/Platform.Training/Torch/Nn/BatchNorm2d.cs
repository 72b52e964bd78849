namespace Platform.Training.Torch.Nn;

/// <summary>torch.nn.BatchNorm2d: batch statistics in training (updating the running ones), running ones in eval.</summary>
public sealed class BatchNorm2d : Module
{
    public BatchNorm2d(long channels, double eps = 1e-5, double momentum = 0.1)
    {
        Eps = eps;
        Momentum = momentum;
        Weight = RegisterParameter("weight", Tensor.Ones([channels]));
        Bias = RegisterParameter("bias", Tensor.Zeros([channels]));
        RunningMean = RegisterBuffer("running_mean", Tensor.Zeros([channels]));
        RunningVar = RegisterBuffer("running_var", Tensor.Ones([channels]));
        NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Zeros([], ScalarType.Int64));
    }

    public Tensor Weight { get; }

    public Tensor Bias { get; }

    public Tensor RunningMean { get; }

    public Tensor RunningVar { get; }

    /// <summary>Kept only so state dicts match PyTorch's; the fixed momentum does not read it.</summary>
    public Tensor NumBatchesTracked { get; }

    public double Eps { get; }

    public double Momentum { get; }

    public Tensor Forward(Tensor input)
    {
        if (Training)
        {
            using var noGrad = Torch.NoGrad();
            NumBatchesTracked.Add_(1);
        }
        return Functional.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, Training, Momentum, Eps);
    }
}
