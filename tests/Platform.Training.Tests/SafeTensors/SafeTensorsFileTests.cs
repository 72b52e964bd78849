using System.Buffers.Binary;
using System.Text;
using Platform.Training.SafeTensors;
using Platform.Training.Tests.Common;

namespace Platform.Training.Tests.SafeTensors;

public sealed class SafeTensorsFileTests
{
    [Fact]
    public void Write_ThenRead_RoundTripsTensorsAndMetadata()
    {
        using var dir = new TestDirectory();
        var path = dir.File("model.safetensors");
        var weights = SafeTensor.FromFloat32("layer.weight", [2, 3], [1f, -2f, 3.5f, 0f, float.MaxValue, -0f]);
        var ids = SafeTensor.FromInt64("ids", [4], [1L, -1L, long.MaxValue, 0L]);
        var empty = SafeTensor.FromFloat32("empty", [0, 5], []);

        SafeTensorsWriter.Write(path, [weights, ids, empty], new Dictionary<string, string> { ["format"] = "pt" });
        var file = SafeTensorsFile.Read(path);

        Assert.Equal(3, file.Tensors.Count);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal([2L, 3], file["layer.weight"].Shape);
        Assert.Equal(SafeTensorsDType.F32, file["layer.weight"].DType);
        Assert.Equal([1f, -2f, 3.5f, 0f, float.MaxValue, -0f], file["layer.weight"].ToFloat32());
        Assert.Equal([1L, -1L, long.MaxValue, 0L], file["ids"].ToInt64());
        Assert.Empty(file["empty"].ToFloat32());
    }

    [Fact]
    public void Write_AnyTensors_PadsHeaderToEightBytes()
    {
        using var dir = new TestDirectory();
        var path = dir.File("a.safetensors");

        SafeTensorsWriter.Write(path, [SafeTensor.FromFloat32("x", [1], [1f])]);

        var bytes = File.ReadAllBytes(path);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, headerLength % 8);
        Assert.Equal(8 + (int)headerLength + 4, bytes.Length);
        Assert.StartsWith("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
    }

    [Fact]
    public void Read_HandBuiltFile_ReadsF16Bf16AndOffsets()
    {
        // 1.0 and -2.0 as float16 (0x3C00, 0xC000) and as bfloat16 (0x3F80, 0xC000), written by hand per the format.
        var bytes = Build(
            """{"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"__metadata__":{"k":"v"}}""",
            [0x00, 0x3C, 0x00, 0xC0, 0x80, 0x3F, 0x00, 0xC0]);

        var file = SafeTensorsFile.Parse(bytes);

        Assert.Equal(["a", "b"], file.Tensors.Select(t => t.Name));
        Assert.Equal([1f, -2f], file["a"].ToFloat32());
        Assert.Equal([1f, -2f], file["b"].ToFloat32());
        Assert.Equal("v", file.Metadata["k"]);
    }

    [Fact]
    public void Read_ShorterThanHeaderLength_ThrowsTruncated()
    {
        using var dir = new TestDirectory();
        File.WriteAllBytes(dir.File("t.safetensors"), [1, 2, 3]);

        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(dir.File("t.safetensors")));

        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Read_DataCutShort_ThrowsTruncated()
    {
        using var dir = new TestDirectory();
        var path = dir.File("t.safetensors");
        SafeTensorsWriter.Write(path, [SafeTensor.FromFloat32("x", [4], [1f, 2f, 3f, 4f])]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);

        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));

        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Parse_HeaderLongerThanFile_ThrowsTruncated()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 100);

        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(bytes));

        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void Parse_OverlappingOffsets_Throws()
    {
        var bytes = Build(
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""",
            new byte[8]);

        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(bytes));

        Assert.Contains("overlaps", error.Message);
    }

    [Fact]
    public void Parse_UnknownDtype_Throws()
    {
        var bytes = Build("""{"a":{"dtype":"F8","shape":[2],"data_offsets":[0,2]}}""", new byte[2]);

        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(bytes));

        Assert.Contains("unknown dtype 'F8'", error.Message);
    }

    [Fact]
    public void Parse_ShapeDisagreesWithOffsets_Throws()
    {
        var bytes = Build("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", new byte[8]);

        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(bytes));

        Assert.Contains("needs 12 bytes", error.Message);
    }

    [Fact]
    public void Parse_GapBetweenTensors_Throws()
    {
        var bytes = Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]);

        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(bytes));

        Assert.Contains("gap", error.Message);
    }

    [Fact]
    public void Parse_BytesAfterLastTensor_Throws()
    {
        var bytes = Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", new byte[6]);

        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(bytes));

        Assert.Contains("after the last tensor", error.Message);
    }

    [Fact]
    public void Parse_HeaderNotJson_Throws()
    {
        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(Build("{not json", [])));

        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void Parse_MissingDataOffsets_Throws()
    {
        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(Build("""{"a":{"dtype":"F32","shape":[1]}}""", new byte[4])));

        Assert.Contains("data_offsets", error.Message);
    }

    [Fact]
    public void Read_MissingFile_ThrowsFileNotFound()
    {
        using var dir = new TestDirectory();

        Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Read(dir.File("absent.safetensors")));
    }

    [Fact]
    public void ToFloat32_IntegerTensor_Throws()
    {
        var tensor = SafeTensor.FromInt64("ids", [1], [5L]);

        Assert.Throws<InvalidDataException>(() => tensor.ToFloat32());
    }

    [Fact]
    public void Write_DuplicateNames_Throws()
    {
        using var dir = new TestDirectory();
        var tensor = SafeTensor.FromFloat32("x", [1], [1f]);

        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(dir.File("d.safetensors"), [tensor, tensor]));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    private static byte[] Build(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }
}
