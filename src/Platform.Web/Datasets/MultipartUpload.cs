using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Platform.Web.Datasets;

/// <summary>
/// Reads a multipart upload section by section: the small form fields first, then stops at the file
/// so the caller can stream it. The browser sends fields in document order, which is why the upload
/// form puts every field before the file input.
/// </summary>
internal sealed class MultipartUpload
{
    private const int MaxFieldChars = 2048;
    private const int MaxFields = 16;

    private readonly Dictionary<string, string> _fields = new(StringComparer.OrdinalIgnoreCase);

    private MultipartUpload(MultipartReader reader) => Reader = reader;

    public MultipartReader Reader { get; }

    public IReadOnlyDictionary<string, string> Fields => _fields;

    public string Field(string name) => _fields.GetValueOrDefault(name, "");

    public static MultipartUpload? Open(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > 70)
        {
            return null;
        }
        return new MultipartUpload(new MultipartReader(boundary, request.Body));
    }

    /// <summary>Collects form fields up to the first file section, which it returns (null: no file was sent).</summary>
    public async Task<FileMultipartSection?> ReadFieldsUntilFileAsync(CancellationToken cancellationToken)
    {
        while (await Reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
            {
                continue;
            }
            if (disposition.IsFileDisposition())
            {
                return section.AsFileSection();
            }
            // IsFormDisposition means a plain field: form-data without a file name.
            if (!disposition.IsFormDisposition())
            {
                continue;
            }
            if (_fields.Count >= MaxFields)
            {
                throw new InvalidDataException("The upload form has too many fields.");
            }
            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
            _fields[name] = await ReadFieldAsync(section, cancellationToken);
        }
        return null;
    }

    private static async Task<string> ReadFieldAsync(MultipartSection section, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(section.Body, leaveOpen: true);
        var buffer = new char[MaxFieldChars + 1];
        var read = await reader.ReadBlockAsync(buffer.AsMemory(), cancellationToken);
        if (read > MaxFieldChars)
        {
            throw new InvalidDataException("A form field of the upload is too long.");
        }
        return new string(buffer, 0, read);
    }
}
