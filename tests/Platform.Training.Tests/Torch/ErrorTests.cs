using Platform.Training.Torch;
using Platform.Training.Torch.Nn;
using TorchApi = Platform.Training.Torch.Torch;

namespace Platform.Training.Tests.Torch;

public sealed class ErrorTests
{
    [Fact]
    public void MatMul_MismatchedShapes_ThrowsTorchExceptionWithLibtorchMessage()
    {
        using var scope = TorchApi.NewDisposeScope();
        var a = Tensor.Zeros([2, 3]);
        var b = Tensor.Zeros([4, 5]);
        var error = Assert.Throws<TorchException>(() => a.MatMul(b));
        Assert.Contains("cannot be multiplied", error.Message);
        // The process and the library are still usable after the error.
        Assert.Equal([2L, 5L], a.MatMul(Tensor.Zeros([3, 5])).Shape);
    }

    [Fact]
    public void View_ImpossibleShape_ThrowsTorchException()
    {
        using var t = Tensor.Zeros([2, 3]);
        var error = Assert.Throws<TorchException>(() => t.View(4, 2));
        Assert.Contains("invalid for input of size 6", error.Message);
    }

    [Fact]
    public void CrossEntropy_TargetOutOfRange_ThrowsTorchException()
    {
        using var scope = TorchApi.NewDisposeScope();
        var logits = Tensor.Zeros([2, 3]);
        var target = Tensor.FromSpan([0L, 7L], [2]);
        var error = Assert.Throws<TorchException>(() => Functional.CrossEntropy(logits, target));
        Assert.Contains("out of bounds", error.Message);
    }

    [Fact]
    public void Linear_WrongInputWidth_ThrowsTorchExceptionNotCrash()
    {
        using var layer = new Linear(4, 2);
        using var input = Tensor.Zeros([3, 5]);
        Assert.Throws<TorchException>(() => layer.Forward(input));
    }

    [Fact]
    public void DisposedTensor_Used_ThrowsObjectDisposedException()
    {
        var t = Tensor.Zeros([2]);
        t.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.Shape);
        using var other = Tensor.Zeros([2]);
        Assert.Throws<ObjectDisposedException>(() => other + t);
    }

    [Fact]
    public void Errors_OnTwoThreads_KeepTheirOwnMessages()
    {
        string? first = null, second = null;
        var t1 = new Thread(() => first = Capture(() => Tensor.Zeros([2, 3]).View(7)));
        var t2 = new Thread(() => second = Capture(() => Tensor.Zeros([2, 3]).MatMul(Tensor.Zeros([2, 3]))));
        t1.Start();
        t2.Start();
        t1.Join();
        t2.Join();
        Assert.Contains("invalid for input of size 6", first);
        Assert.Contains("cannot be multiplied", second);
    }

    private static string Capture(Action action)
    {
        using var scope = TorchApi.NewDisposeScope();
        try
        {
            action();
            return "no error";
        }
        catch (TorchException e)
        {
            return e.Message;
        }
    }
}
