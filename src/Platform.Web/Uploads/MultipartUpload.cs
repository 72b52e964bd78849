using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Platform.Web.Components.Shared;

namespace Platform.Web.Uploads;

/// <summary>
/// The one reader of streamed uploads (datasets, model ZIPs, batch-prediction files; portal and API):
/// it sets the body limit, checks the content type and boundary, reads the small form fields, and stops
/// at the first file section so the caller streams the file without buffering it. Whatever a hostile
/// body does (wrong content type, no file, too large, malformed or truncated framing) comes back as an
/// <see cref="UploadRefusal"/>, the same for every endpoint; the endpoint only chooses its answer's
/// shape (a page or a problem document). The browser sends fields in document order, which is why the
/// upload forms put every field before the file input.
/// </summary>
internal sealed class MultipartUpload
{
    /// <summary>Room for the multipart framing and the small form fields around the file.</summary>
    public const long FormOverheadBytes = 64 * 1024;

    private const int MaxFieldChars = 2048;
    private const int MaxFields = 16;

    private readonly Dictionary<string, string> _fields = new(StringComparer.OrdinalIgnoreCase);
    private readonly MultipartReader _reader;

    private MultipartUpload(MultipartReader reader, long maxFileBytes, string limitName)
    {
        _reader = reader;
        MaxFileBytes = maxFileBytes;
        LimitName = limitName;
    }

    public IReadOnlyDictionary<string, string> Fields => _fields;

    /// <summary>The first file section, once <see cref="OpenAsync"/> read up to it; null when none was sent.</summary>
    public UploadedFile? File { get; private set; }

    public long MaxFileBytes { get; }

    /// <summary>How refusals name the limit: "upload limit", "upload limit for models".</summary>
    public string LimitName { get; }

    public string Field(string name) => _fields.GetValueOrDefault(name, "");

    /// <summary>The whole body an upload of at most <paramref name="maxFileBytes"/> may take.</summary>
    public static long MaxRequestBytes(long maxFileBytes) => maxFileBytes + FormOverheadBytes;

    /// <summary>
    /// Opens the request's upload and reads its fields up to the file. The form (null when the body is
    /// not multipart at all) comes back with the refusal too, so a page can show the fields as sent.
    /// A missing file is refused only after the caller had the chance to check the form's token
    /// (<see cref="UploadProblem.NoFile"/> with the form): a forged post learns nothing.
    /// </summary>
    public static async Task<(MultipartUpload? Form, UploadRefusal? Refusal)> OpenAsync(HttpContext context, long maxFileBytes,
        CancellationToken cancellationToken, string limitName = "upload limit")
    {
        var maxRequest = MaxRequestBytes(maxFileBytes);
        // Kestrel then cuts the connection past the limit instead of reading an endless body.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
            sizeLimit.MaxRequestBodySize = maxRequest;
        if (context.Request.ContentLength > maxRequest)
            return (null, UploadRefusal.TooLarge(maxFileBytes, limitName));
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return (null, UploadRefusal.NotMultipart());
        }
        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        // RFC 2046 caps a boundary at 70 characters; a longer one only makes the reader search harder.
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > 70)
            return (null, UploadRefusal.NotMultipart());
        var upload = new MultipartUpload(new MultipartReader(boundary, context.Request.Body), maxFileBytes, limitName);
        try
        {
            upload.File = await upload.ReadFieldsUntilFileAsync(cancellationToken);
        }
        catch (Exception ex) when (upload.RefusalFor(ex) is { } refusal)
        {
            return (upload, refusal);
        }
        return (upload, upload.File is null ? UploadRefusal.NoFile() : null);
    }

    /// <summary>
    /// What an exception thrown while the file streamed means for the client, or null when it is not the
    /// body's fault. Endpoints catch with it around the command that reads <see cref="UploadedFile.Content"/>.
    /// </summary>
    public UploadRefusal? RefusalFor(Exception ex) => ex switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => UploadRefusal.TooLarge(MaxFileBytes, LimitName),
        // Malformed framing, an over-long field or header, a body cut off before its closing boundary.
        InvalidDataException => UploadRefusal.Malformed(ex.Message),
        _ => null,
    };

    /// <summary>
    /// Checks the antiforgery token sent as a form field. The framework's own check would read the whole
    /// form, file included, before the endpoint runs; the token store reads the header before the form,
    /// so the form (and the file in it) stays unread.
    /// </summary>
    public async Task<bool> IsAntiforgeryValidAsync(HttpContext context, IAntiforgery antiforgery, AntiforgeryOptions options)
    {
        var token = Field(options.FormFieldName);
        if (token.Length == 0 || options.HeaderName is null)
            return false;
        context.Request.Headers[options.HeaderName] = token;
        return await antiforgery.IsRequestValidAsync(context);
    }

    private async Task<UploadedFile?> ReadFieldsUntilFileAsync(CancellationToken cancellationToken)
    {
        while (await ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                continue;
            if (disposition.IsFileDisposition())
            {
                var file = section.AsFileSection()!;
                return new UploadedFile(file.FileName, file.Name, new TruncationGuardStream(section.Body));
            }
            // IsFormDisposition means a plain field: form-data without a file name.
            if (!disposition.IsFormDisposition())
                continue;
            if (_fields.Count >= MaxFields)
                throw new InvalidDataException("The upload form has too many fields.");
            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
            _fields[name] = await ReadFieldAsync(section, cancellationToken);
        }
        return null;
    }

    private async Task<MultipartSection?> ReadNextSectionAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _reader.ReadNextSectionAsync(cancellationToken);
        }
        catch (IOException ex) when (TruncationGuardStream.IsEndOfBody(ex))
        {
            throw TruncationGuardStream.Truncated(ex);
        }
    }

    private static async Task<string> ReadFieldAsync(MultipartSection section, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(new TruncationGuardStream(section.Body), leaveOpen: true);
        var buffer = new char[MaxFieldChars + 1];
        var read = await reader.ReadBlockAsync(buffer.AsMemory(), cancellationToken);
        if (read > MaxFieldChars)
            throw new InvalidDataException("A form field of the upload is too long.");
        return new string(buffer, 0, read);
    }
}

/// <summary>The file part of an upload: its name as sent, its form field's name, and its bytes, read once, forward only.</summary>
internal sealed record UploadedFile(string FileName, string FieldName, Stream Content);

internal enum UploadProblem
{
    NotMultipart,
    NoFile,
    TooLarge,
    Malformed,
}

/// <summary>Why an upload's body was refused: the status, the API's machine-readable code and field, and the reason in words.</summary>
internal sealed record UploadRefusal(UploadProblem Problem, int Status, string Code, string? Param, string Message)
{
    public static UploadRefusal NotMultipart() => new(UploadProblem.NotMultipart, StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", null,
        "Send the upload as multipart/form-data: the form's fields first, then the file.");

    public static UploadRefusal NoFile() => new(UploadProblem.NoFile, StatusCodes.Status400BadRequest, "invalid_parameter", "file",
        "The upload has no file (send the form's fields first, then the file).");

    public static UploadRefusal TooLarge(long maxFileBytes, string limitName) => new(UploadProblem.TooLarge, StatusCodes.Status413PayloadTooLarge,
        "file_too_large", "file", $"The file is larger than the {Format.Bytes(maxFileBytes)} {limitName}.");

    public static UploadRefusal Malformed(string reason) => new(UploadProblem.Malformed, StatusCodes.Status400BadRequest, "invalid_file", "file", reason);
}

/// <summary>
/// A multipart section's body, which reports a body that ends before its closing boundary (a cut
/// connection, a truncated file) as <see cref="InvalidDataException"/>, the client's error, instead of
/// the plain <see cref="IOException"/> the framework's reader throws, which would be a 500.
/// </summary>
internal sealed class TruncationGuardStream(Stream inner) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            return inner.Read(buffer, offset, count);
        }
        catch (IOException ex) when (IsEndOfBody(ex))
        {
            throw Truncated(ex);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.ReadAsync(buffer, cancellationToken);
        }
        catch (IOException ex) when (IsEndOfBody(ex))
        {
            throw Truncated(ex);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>
    /// The framework's multipart reader throws exactly <see cref="IOException"/> at the end of the body;
    /// the server's own failures are subclasses (BadHttpRequestException for limits, ConnectionResetException).
    /// </summary>
    internal static bool IsEndOfBody(IOException ex) => ex.GetType() == typeof(IOException);

    internal static InvalidDataException Truncated(IOException ex) =>
        new("The upload ended before its closing boundary: the body is truncated.", ex);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
