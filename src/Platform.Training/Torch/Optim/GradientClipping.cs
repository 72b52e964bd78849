namespace Platform.Training.Torch.Optim;

public static class GradientClipping
{
    /// <summary>torch.nn.utils.clip_grad_norm_ (L2): scales all gradients in place; returns the norm before clipping.</summary>
    public static unsafe double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        using var pinned = new PinnedTensors(parameters.ToList());
        fixed (IntPtr* p = pinned.Raw)
        {
            NativeMethods.Check(NativeMethods.pt_clip_grad_norm(p, pinned.Raw.Length, maxNorm, out var total));
            return total;
        }
    }
}
