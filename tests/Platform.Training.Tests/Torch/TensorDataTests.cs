using Platform.Training.Torch;

namespace Platform.Training.Tests.Torch;

public sealed class TensorDataTests
{
    [Fact]
    public void FromSpan_Float32_RoundTripsValuesAndShape()
    {
        float[] values = [1.5f, -2.25f, 3e-8f, float.MaxValue, 0f, -0f];
        using var t = Tensor.FromSpan(values, [2, 3]);
        Assert.Equal([2L, 3L], t.Shape);
        Assert.Equal(ScalarType.Float32, t.DType);
        Assert.Equal(Device.Cpu, t.Device);
        Assert.Equal(values, t.ToFloatArray());
    }

    [Fact]
    public void FromSpan_Int64_RoundTripsExtremes()
    {
        long[] values = [long.MinValue, -1, 0, 1, long.MaxValue, 1L << 40];
        using var t = Tensor.FromSpan(values, [3, 2]);
        Assert.Equal(ScalarType.Int64, t.DType);
        Assert.Equal(values, t.ToInt64Array());
    }

    [Fact]
    public void FromBFloat16Bits_RoundTripsBitsAndConvertsToFloat()
    {
        // 1.0, -2.0, 0.5 and 3.140625 (0x4049) are exact in bfloat16.
        ushort[] bits = [0x3F80, 0xC000, 0x3F00, 0x4049];
        using var t = Tensor.FromBFloat16Bits(bits, [4]);
        Assert.Equal(ScalarType.BFloat16, t.DType);
        Assert.Equal(bits, t.ToBFloat16Bits());
        Assert.Equal([1f, -2f, 0.5f, 3.140625f], t.ToFloatArray());
    }

    [Fact]
    public void ToBFloat16Bits_FromFloat_RoundsToNearestEven()
    {
        using var t = Tensor.FromSpan([1.00390625f], [1]); // halfway between 1.0 and 1.0078125
        Assert.Equal([(ushort)0x3F80], t.ToBFloat16Bits());
    }

    [Fact]
    public void FromSpan_Empty_RoundTrips()
    {
        using var t = Tensor.FromSpan(ReadOnlySpan<float>.Empty, [0, 4]);
        Assert.Equal([0L, 4L], t.Shape);
        Assert.Empty(t.ToFloatArray());
    }

    [Fact]
    public void FromSpan_ShapeMismatch_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => Tensor.FromSpan([1f, 2f, 3f], [2, 2]));
    }

    [Fact]
    public void Item_ScalarTensor_ReturnsValue()
    {
        using var t = Tensor.FromSpan([42L], []);
        Assert.Equal(42L, t.ItemInt64());
        Assert.Equal(42.0, t.Item());
    }

    [Fact]
    public void ToDType_Float32ToInt64_Truncates()
    {
        using var f = Tensor.FromSpan([1.9f, -1.9f], [2]);
        using var l = f.To(ScalarType.Int64);
        Assert.Equal([1L, -1L], l.ToInt64Array());
    }

    [Fact]
    public void Cat_TwoTensors_ConcatenatesAlongDim()
    {
        using var scope = global::Platform.Training.Torch.Torch.NewDisposeScope();
        var a = Tensor.FromSpan([1f, 2f], [1, 2]);
        var b = Tensor.FromSpan([3f, 4f], [1, 2]);
        Assert.Equal([1f, 2f, 3f, 4f], Tensor.Cat([a, b], 0).ToFloatArray());
        Assert.Equal([1f, 3f, 2f, 4f], Tensor.Stack([a, b], 2).ToFloatArray());
    }
}
