using System.Diagnostics;
using Platform.Training.SafeTensors;
using Platform.Training.Tests.Common;

namespace Platform.Training.Tests.SafeTensors;

/// <summary>Checks the byte layout against PyTorch reading it with the format's rules spelled out in Python.</summary>
public sealed class PyTorchInteropTests
{
    [Fact]
    public void Write_ReadByPythonWithTorch_GivesSameValues()
    {
        using var dir = new TestDirectory();
        var path = dir.File("w.safetensors");
        SafeTensorsWriter.Write(path, [
            SafeTensor.FromFloat32("w", [2, 2], [0.5f, -1.25f, 3f, 1e-7f]),
            SafeTensor.FromInt64("n", [3], [7L, -8L, 9L]),
        ]);
        const string script = """
            import json, struct, sys, torch
            raw = open(sys.argv[1], "rb").read()
            (n,) = struct.unpack("<Q", raw[:8])
            header = json.loads(raw[8:8 + n])
            data = raw[8 + n:]
            dtypes = {"F32": torch.float32, "I64": torch.int64}
            for name in sorted(header):
                e = header[name]
                b, end = e["data_offsets"]
                t = torch.frombuffer(bytearray(data[b:end]), dtype=dtypes[e["dtype"]]).reshape(e["shape"])
                print(name, t.flatten().tolist())
            """;

        var output = RunPython(script, path);

        Assert.Equal("n [7, -8, 9]\nw [0.5, -1.25, 3.0, 1.0000000116860974e-07]\n", output);
    }

    private static string RunPython(string script, string argument)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, errors);
        return output;
    }
}
