namespace Platform.Training.Torch;

/// <summary>Stateless neural-network operations (torch.nn.functional).</summary>
public static class Functional
{
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) =>
        new(NativeMethods.pt_linear(input.Handle, weight.Handle, bias?.Handle ?? TensorHandle.Null));

    public static Tensor LayerNorm(Tensor input, long[] normalizedShape, Tensor? weight, Tensor? bias, double eps) =>
        new(NativeMethods.pt_layer_norm(input.Handle, normalizedShape, normalizedShape.Length, weight?.Handle ?? TensorHandle.Null, bias?.Handle ?? TensorHandle.Null, eps));

    /// <summary>Rows of <paramref name="weight"/>; the row at <paramref name="paddingIdx"/> gets no gradient (-1: none).</summary>
    public static Tensor Embedding(Tensor weight, Tensor indices, long paddingIdx = -1) =>
        new(NativeMethods.pt_embedding(weight.Handle, indices.Handle, paddingIdx));

    public static Tensor Dropout(Tensor input, double p, bool training) =>
        new(NativeMethods.pt_dropout(input.Handle, p, training ? 1 : 0, Generator.CurrentHandle));

    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        new(NativeMethods.pt_conv2d(input.Handle, weight.Handle, bias?.Handle ?? TensorHandle.Null, [stride, stride], [padding, padding], [dilation, dilation], groups));

    /// <summary>In training mode uses batch statistics and updates the running ones in place.</summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias, bool training, double momentum = 0.1, double eps = 1e-5) =>
        new(NativeMethods.pt_batch_norm(input.Handle, weight?.Handle ?? TensorHandle.Null, bias?.Handle ?? TensorHandle.Null,
            runningMean?.Handle ?? TensorHandle.Null, runningVar?.Handle ?? TensorHandle.Null, training ? 1 : 0, momentum, eps));

    public static Tensor MaxPool2d(Tensor input, int kernel, int? stride = null, int padding = 0)
    {
        var s = stride ?? kernel;
        return new(NativeMethods.pt_max_pool2d(input.Handle, [kernel, kernel], [s, s], [padding, padding]));
    }

    public static Tensor AvgPool2d(Tensor input, int kernel, int? stride = null, int padding = 0)
    {
        var s = stride ?? kernel;
        return new(NativeMethods.pt_avg_pool2d(input.Handle, [kernel, kernel], [s, s], [padding, padding]));
    }

    public static Tensor AdaptiveAvgPool2d(Tensor input, int height, int width) =>
        new(NativeMethods.pt_adaptive_avg_pool2d(input.Handle, [height, width]));

    public static Tensor AdaptiveMaxPool2d(Tensor input, int height, int width) =>
        new(NativeMethods.pt_adaptive_max_pool2d(input.Handle, [height, width]));

    /// <summary>Mean cross-entropy of logits [N, C] against class indices [N] (int64); -100 is ignored.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, double labelSmoothing = 0.0) =>
        new(NativeMethods.pt_cross_entropy(logits.Handle, target.Handle, labelSmoothing));

    public static Tensor Softmax(Tensor input, long dim) => input.Softmax(dim);

    public static Tensor LogSoftmax(Tensor input, long dim) => input.LogSoftmax(dim);

    public static Tensor Gelu(Tensor input) => input.Gelu();

    public static Tensor Relu(Tensor input) => input.Relu();
}
