namespace Platform.Training.Data;

/// <summary>A SplitMix64 generator whose whole state is one number, so a checkpoint can save and restore it.</summary>
/// <remarks>System.Random exposes no state, which rules it out for exact resume.</remarks>
public sealed class SeededRandom(ulong state)
{
    public ulong State { get; set; } = state;

    public ulong NextUInt64()
    {
        var z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, bound) without modulo bias (Lemire's method).</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        var threshold = (0UL - (ulong)bound) % (ulong)bound;
        while (true)
        {
            var product = Math.BigMul(NextUInt64(), (ulong)bound, out var low);
            if (low >= threshold)
            {
                return (int)product;
            }
        }
    }

    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A seed for a sub-stream (an epoch, a label), independent of how far this generator has run.</summary>
    public static ulong Derive(ulong seed, ulong stream) => new SeededRandom(seed ^ (stream * 0xD1B54A32D192ED03UL)).NextUInt64();
}
