using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Platform.Training.Baseline;

/// <summary>
/// The vector loops of the baseline's solver, four doubles at a time. Always Vector256 (not
/// Vector&lt;T&gt;, whose width depends on the machine): sums are added in the same order on every
/// machine, so a fit gives the same weights wherever it runs.
/// </summary>
internal static class DenseMath
{
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = Vector256<double>.Zero;
        var i = 0;
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        for (; i <= a.Length - 4; i += 4)
            sum += Vector256.LoadUnsafe(ref ra, (nuint)i) * Vector256.LoadUnsafe(ref rb, (nuint)i);
        var total = sum.GetElement(0) + sum.GetElement(1) + (sum.GetElement(2) + sum.GetElement(3));
        for (; i < a.Length; i++)
            total += a[i] * b[i];
        return total;
    }

    /// <summary>y += a·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddScaled(double a, ReadOnlySpan<double> x, Span<double> y)
    {
        var i = 0;
        if (y.Length >= 4)
        {
            var va = Vector256.Create(a);
            ref var rx = ref MemoryMarshal.GetReference(x);
            ref var ry = ref MemoryMarshal.GetReference(y);
            for (; i <= y.Length - 4; i += 4)
                (Vector256.LoadUnsafe(ref ry, (nuint)i) + va * Vector256.LoadUnsafe(ref rx, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        }

        for (; i < y.Length; i++)
            y[i] += a * x[i];
    }

    /// <summary>y += a·x, and returns z·y of the updated y: two loops of the L-BFGS recursion in one pass.</summary>
    public static double AddScaledThenDot(double a, ReadOnlySpan<double> x, Span<double> y, ReadOnlySpan<double> z)
    {
        var sum = Vector256<double>.Zero;
        var va = Vector256.Create(a);
        var i = 0;
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var ry = ref MemoryMarshal.GetReference(y);
        ref var rz = ref MemoryMarshal.GetReference(z);
        for (; i <= y.Length - 4; i += 4)
        {
            var updated = Vector256.LoadUnsafe(ref ry, (nuint)i) + va * Vector256.LoadUnsafe(ref rx, (nuint)i);
            updated.StoreUnsafe(ref ry, (nuint)i);
            sum += updated * Vector256.LoadUnsafe(ref rz, (nuint)i);
        }

        var total = sum.GetElement(0) + sum.GetElement(1) + (sum.GetElement(2) + sum.GetElement(3));
        for (; i < y.Length; i++)
        {
            y[i] += a * x[i];
            total += y[i] * z[i];
        }

        return total;
    }

    /// <summary>target = x + a·d.</summary>
    public static void Step(ReadOnlySpan<double> x, double a, ReadOnlySpan<double> d, Span<double> target)
    {
        var i = 0;
        var va = Vector256.Create(a);
        ref var rx = ref MemoryMarshal.GetReference(x);
        ref var rd = ref MemoryMarshal.GetReference(d);
        ref var rt = ref MemoryMarshal.GetReference(target);
        for (; i <= x.Length - 4; i += 4)
            (Vector256.LoadUnsafe(ref rx, (nuint)i) + va * Vector256.LoadUnsafe(ref rd, (nuint)i)).StoreUnsafe(ref rt, (nuint)i);
        for (; i < x.Length; i++)
            target[i] = x[i] + a * d[i];
    }

    /// <summary>target = a - b.</summary>
    public static void Subtract(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> target)
    {
        var i = 0;
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        ref var rt = ref MemoryMarshal.GetReference(target);
        for (; i <= a.Length - 4; i += 4)
            (Vector256.LoadUnsafe(ref ra, (nuint)i) - Vector256.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref rt, (nuint)i);
        for (; i < a.Length; i++)
            target[i] = a[i] - b[i];
    }

    public static void Scale(Span<double> x, double a)
    {
        var i = 0;
        var va = Vector256.Create(a);
        ref var rx = ref MemoryMarshal.GetReference(x);
        for (; i <= x.Length - 4; i += 4)
            (Vector256.LoadUnsafe(ref rx, (nuint)i) * va).StoreUnsafe(ref rx, (nuint)i);
        for (; i < x.Length; i++)
            x[i] *= a;
    }

    public static double MaxAbs(ReadOnlySpan<double> x)
    {
        var max = 0.0;
        foreach (var v in x)
            max = Math.Max(max, Math.Abs(v));
        return max;
    }
}
