using System.Buffers.Binary;
using System.Text.Json;

namespace Platform.Training.SafeTensors;

/// <summary>A parsed safetensors file: tensors in file order and the string metadata.</summary>
/// <remarks>
/// Layout: an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape and
/// [begin, end) offsets into the data that follows, then the data. Tensors share the file's buffer.
/// </remarks>
public sealed class SafeTensorsFile
{
    // The reference implementation refuses larger headers; a corrupt length would otherwise allocate gigabytes.
    private const long MaxHeaderLength = 100_000_000;
    private const string MetadataKey = "__metadata__";

    private readonly Dictionary<string, SafeTensor> _byName;

    private SafeTensorsFile(List<SafeTensor> tensors, Dictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public IReadOnlyList<SafeTensor> Tensors { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public SafeTensor this[string name] =>
        _byName.TryGetValue(name, out var tensor) ? tensor : throw new KeyNotFoundException($"no tensor named '{name}'");

    public bool TryGet(string name, out SafeTensor tensor) => _byName.TryGetValue(name, out tensor!);

    public static SafeTensorsFile Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"safetensors file not found: {path}", path);
        }

        try
        {
            return Parse(File.ReadAllBytes(path));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public static SafeTensorsFile Parse(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        if (span.Length < 8)
        {
            throw new InvalidDataException($"truncated safetensors file: {span.Length} bytes, the header length alone needs 8");
        }

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(span);
        if (headerLength > MaxHeaderLength)
        {
            throw new InvalidDataException($"safetensors header length {headerLength} is over the {MaxHeaderLength} byte limit");
        }

        if ((long)headerLength > span.Length - 8)
        {
            throw new InvalidDataException($"truncated safetensors file: header of {headerLength} bytes, only {span.Length - 8} follow");
        }

        var data = bytes[(8 + (int)headerLength)..];
        var (entries, metadata) = ParseHeader(span.Slice(8, (int)headerLength));
        return new SafeTensorsFile(Slice(entries, data), metadata);
    }

    private static (List<HeaderEntry> Entries, Dictionary<string, string> Metadata) ParseHeader(ReadOnlySpan<byte> header)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header.ToArray());
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"safetensors header is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("safetensors header must be a JSON object");
            }

            var entries = new List<HeaderEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    throw new InvalidDataException($"safetensors header names '{property.Name}' twice");
                }

                if (property.Name == MetadataKey)
                {
                    ReadMetadata(property.Value, metadata);
                    continue;
                }

                entries.Add(ReadEntry(property.Name, property.Value));
            }

            return (entries, metadata);
        }
    }

    private static void ReadMetadata(JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException("safetensors __metadata__ must be an object of strings");
        }

        foreach (var item in element.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"safetensors __metadata__ value '{item.Name}' is not a string");
            }

            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static HeaderEntry ReadEntry(string name, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !element.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !element.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
        {
            throw new InvalidDataException($"tensor '{name}' needs a dtype string, a shape array and two data_offsets");
        }

        var dtypeName = dtypeElement.GetString()!;
        if (!SafeTensorsDTypes.TryParse(dtypeName, out var dtype))
        {
            throw new InvalidDataException($"tensor '{name}' has an unknown dtype '{dtypeName}'");
        }

        var shape = shapeElement.EnumerateArray().Select(d => ReadNonNegative(d, name, "shape")).ToArray();
        var begin = ReadNonNegative(offsetsElement[0], name, "data_offsets");
        var end = ReadNonNegative(offsetsElement[1], name, "data_offsets");
        if (end < begin)
        {
            throw new InvalidDataException($"tensor '{name}' has data_offsets [{begin}, {end}] that end before they begin");
        }

        var expected = SafeTensor.ElementCountOf(shape, name) * dtype.ElementSize();
        if (end - begin != expected)
        {
            throw new InvalidDataException(
                $"tensor '{name}' of shape [{string.Join(", ", shape)}] and dtype {dtypeName} needs {expected} bytes, its offsets span {end - begin}");
        }

        return new HeaderEntry(name, dtype, shape, begin, end);
    }

    private static long ReadNonNegative(JsonElement element, string name, string field)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var value) || value < 0)
        {
            throw new InvalidDataException($"tensor '{name}' has a {field} entry that is not a non-negative integer");
        }

        return value;
    }

    private static List<SafeTensor> Slice(List<HeaderEntry> entries, ReadOnlyMemory<byte> data)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        var tensors = new List<SafeTensor>(entries.Count);
        long position = 0;
        HeaderEntry? previous = null;
        foreach (var entry in entries)
        {
            if (entry.Begin < position)
            {
                throw new InvalidDataException($"tensor '{entry.Name}' overlaps tensor '{previous!.Name}' (offset {entry.Begin} < {position})");
            }

            if (entry.Begin > position)
            {
                throw new InvalidDataException($"safetensors data has a gap of {entry.Begin - position} bytes before tensor '{entry.Name}'");
            }

            if (entry.End > data.Length)
            {
                throw new InvalidDataException($"truncated safetensors file: tensor '{entry.Name}' ends at {entry.End}, data has {data.Length} bytes");
            }

            tensors.Add(new SafeTensor(entry.Name, entry.DType, entry.Shape, data[(int)entry.Begin..(int)entry.End]));
            position = entry.End;
            previous = entry;
        }

        if (position != data.Length)
        {
            throw new InvalidDataException($"safetensors data has {data.Length - position} bytes after the last tensor");
        }

        return tensors;
    }

    private sealed record HeaderEntry(string Name, SafeTensorsDType DType, long[] Shape, long Begin, long End);
}
