namespace Platform.Training.Torch.Optim;

public static class GradientClipping
{
    /// <summary>torch.nn.utils.clip_grad_norm_ (L2): scales all gradients in place; returns the norm before clipping.</summary>
    public static unsafe double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        var list = parameters.ToList();
        var raw = new IntPtr[list.Count];
        var added = new bool[list.Count];
        try
        {
            for (var i = 0; i < raw.Length; i++)
            {
                list[i].Handle.DangerousAddRef(ref added[i]);
                raw[i] = list[i].Handle.DangerousGetHandle();
            }
            fixed (IntPtr* p = raw)
            {
                NativeMethods.Check(NativeMethods.pt_clip_grad_norm(p, raw.Length, maxNorm, out var total));
                return total;
            }
        }
        finally
        {
            for (var i = 0; i < raw.Length; i++)
            {
                if (added[i]) list[i].Handle.DangerousRelease();
            }
        }
    }
}
