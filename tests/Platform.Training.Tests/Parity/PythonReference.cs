using System.Diagnostics;
using Platform.Training.Torch;

namespace Platform.Training.Tests.Parity;

/// <summary>Runs the plain-PyTorch reference (Debian python3-torch, same libtorch 1.13) on files the test wrote.</summary>
internal static class PythonReference
{
    public const string Python = "/usr/bin/python3";

    /// <param name="basePath">A bare encoder checkpoint whose tensors the reference takes instead of the folder's (see parity.py).</param>
    public static Dictionary<string, Tensor> Run(string kind, string modelDir, string inputsPath, string workDir, string? basePath = null)
    {
        var script = FindScript("parity.py");
        var output = Path.Combine(workDir, "reference.safetensors");
        var info = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { script, kind, modelDir, inputsPath, output }) info.ArgumentList.Add(arg);
        if (basePath is not null) info.ArgumentList.Add(basePath);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"reference failed ({process.ExitCode}): {stdout}{stderr.Result}");
        return TensorFiles.Load(output);
    }

    // The scripts stay in the source tree (no copy step in the test project): walk up to find them.
    public static string FindScript(string name)
    {
        for (var dir = AppContext.BaseDirectory; !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            var candidate = Path.Combine(dir, "tests", "Platform.Training.Tests", "Parity", "py", name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"Parity/py/{name} not found above " + AppContext.BaseDirectory);
    }

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.Equal(a.Shape, b.Shape);
        var x = a.To(ScalarType.Float64).DetachFromDisposeScope();
        var y = b.To(ScalarType.Float64).DetachFromDisposeScope();
        try
        {
            var xs = new double[x.NumberOfElements];
            var ys = new double[y.NumberOfElements];
            x.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(xs.AsSpan()), ScalarType.Float64);
            y.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(ys.AsSpan()), ScalarType.Float64);
            return xs.Zip(ys, (p, q) => Math.Abs(p - q)).DefaultIfEmpty(0).Max();
        }
        finally
        {
            x.Dispose();
            y.Dispose();
        }
    }

    /// <summary>Every updated tensor of the reference against the model's, within <paramref name="tolerance"/>.</summary>
    public static void AssertStateMatches(IReadOnlyDictionary<string, Tensor> reference, IReadOnlyDictionary<string, Tensor> state, double tolerance,
        Func<string, bool>? skip = null)
    {
        var updated = reference.Where(kv => kv.Key.StartsWith("updated.", StringComparison.Ordinal)).ToList();
        Assert.Equal(state.Count, updated.Count);
        foreach (var (key, expected) in updated)
        {
            var name = key["updated.".Length..];
            Assert.True(state.ContainsKey(name), $"model has no tensor '{name}'");
            if (skip?.Invoke(name) == true) continue;
            var diff = MaxAbsDiff(expected, state[name]);
            Assert.True(diff <= tolerance, $"'{name}' differs from PyTorch by {diff}");
        }
    }
}
