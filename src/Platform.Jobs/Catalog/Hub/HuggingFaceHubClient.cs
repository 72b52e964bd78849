using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Platform.Jobs.Catalog.Hub;

/// <summary>One file of a repository at a commit, as the Hub's model info lists it (?blobs=true).</summary>
/// <param name="Sha256">The Git LFS object's SHA-256 (large files such as model.safetensors).</param>
/// <param name="BlobId">The Git blob id, a SHA-1 of "blob {size}\0" + content (every file; what small files are checked against).</param>
public sealed record HubFile(string Name, long? Size, string? Sha256, string? BlobId);

/// <summary>A repository at one commit: <see cref="Sha"/> pins the revision asked for.</summary>
internal sealed record HubModelInfo(string Id, string Sha, IReadOnlyList<HubFile> Files, string? ModelType, bool Gated, bool Private)
{
    public HubFile? File(string name) => Files.FirstOrDefault(f => f.Name == name);
}

/// <summary>A Hub answer the user must read (<see cref="Transient"/>: worth trying again later, e.g. a dropped connection).</summary>
internal sealed class HubException(string message, bool transient = false) : Exception(message)
{
    public bool Transient { get; } = transient;
}

/// <summary>
/// The Hugging Face Hub's HTTP API, as huggingface_hub uses it: GET /api/models/{id}/revision/{rev}?blobs=true
/// for the files of a commit (sizes, LFS SHA-256, Git blob ids), GET /{id}/resolve/{commit}/{file} for a
/// file (a 302 to a CDN for large ones). Downloads resume from a partial file with a Range request,
/// survive dropped connections (retried from where they stopped) and are verified against the
/// metadata before they count. The token goes to the Hub's own host only, never to the CDN.
/// </summary>
internal sealed partial class HuggingFaceHubClient : IDisposable
{
    private const int MaxRedirects = 10;
    private readonly HttpClient _http;
    private readonly HuggingFaceOptions _options;
    private readonly Uri _endpoint;

    public HuggingFaceHubClient(IOptions<HuggingFaceOptions> options)
        : this(options, new SocketsHttpHandler
        {
            // Redirects are followed by hand: the token must not follow a download to the CDN.
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
    {
    }

    internal HuggingFaceHubClient(IOptions<HuggingFaceOptions> options, HttpMessageHandler handler)
    {
        _options = options.Value;
        _endpoint = new Uri(_options.Endpoint.TrimEnd('/') + "/");
        // Each request gets its own deadline (see SendAsync and the read loop): a whole-request timeout
        // would cut a large download that is progressing fine.
        _http = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("platform-model-import", "1.0"));
    }

    /// <summary>org/name or name: letters, digits, '-', '_', '.', no '--' or '..', at most 96 characters a part (the Hub's rules).</summary>
    public static bool IsValidRepoId(string repoId) =>
        RepoIdPattern().IsMatch(repoId) && !repoId.Contains("--", StringComparison.Ordinal) && !repoId.Contains("..", StringComparison.Ordinal);

    /// <summary>A branch, tag, commit or refs/pr/N: anything printable the Hub could name.</summary>
    public static bool IsValidRevision(string revision) =>
        revision.Length is > 0 and <= 200 && !revision.Any(char.IsControl) && !revision.Contains(' ', StringComparison.Ordinal);

    /// <summary>The files of <paramref name="repoId"/> at <paramref name="revision"/>, and the commit it points to now.</summary>
    public async Task<HubModelInfo> GetModelInfoAsync(string repoId, string revision, CancellationToken cancellationToken)
    {
        var url = new Uri(_endpoint, $"api/models/{repoId}/revision/{Uri.EscapeDataString(revision)}?blobs=true");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var response = await SendAsync(url, null, cancellationToken);
                if (!response.IsSuccessStatusCode)
                    throw Refusal(response, repoId, revision, null);
                using var timeout = ReadDeadline(cancellationToken);
                var json = await response.Content.ReadAsByteArrayAsync(timeout.Token);
                return ParseModelInfo(repoId, json);
            }
            catch (HubException ex) when (ex.Transient && attempt < _options.Retries)
            {
                await Task.Delay(Backoff(attempt), cancellationToken);
            }
            catch (Exception ex) when (IsNetworkFailure(ex, cancellationToken))
            {
                if (attempt >= _options.Retries)
                    throw new HubException($"The Hub at {_endpoint.Host} could not be reached: {ex.Message}", transient: true);
                await Task.Delay(Backoff(attempt), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Downloads <paramref name="file"/> of <paramref name="repoId"/> at <paramref name="commit"/> into
    /// <paramref name="partialPath"/>, continuing from what that file already holds (an earlier attempt,
    /// or an earlier process). <paramref name="progress"/> hears the bytes on disk. On return the file is
    /// complete and matches the Hub's size and hash; a mismatch deletes it and throws.
    /// </summary>
    public async Task DownloadAsync(string repoId, string commit, HubFile file, string partialPath, Action<long> progress,
        CancellationToken cancellationToken)
    {
        var url = new Uri(_endpoint, $"{repoId}/resolve/{Uri.EscapeDataString(commit)}/{string.Join('/', file.Name.Split('/').Select(Uri.EscapeDataString))}");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await DownloadOnceAsync(url, repoId, commit, file, partialPath, progress, cancellationToken);
                break;
            }
            catch (HubException ex) when (ex.Transient && attempt < _options.Retries)
            {
                await Task.Delay(Backoff(attempt), cancellationToken);
            }
            catch (Exception ex) when (IsNetworkFailure(ex, cancellationToken))
            {
                if (attempt >= _options.Retries)
                    throw new HubException($"Downloading {file.Name} from {_endpoint.Host} failed {attempt + 1} times, last: {ex.Message}", transient: true);
                await Task.Delay(Backoff(attempt), cancellationToken);
            }
        }
        await VerifyAsync(file, partialPath, cancellationToken);
    }

    private async Task DownloadOnceAsync(Uri url, string repoId, string commit, HubFile file, string partialPath, Action<long> progress,
        CancellationToken cancellationToken)
    {
        var have = System.IO.File.Exists(partialPath) ? new FileInfo(partialPath).Length : 0;
        if (file.Size is { } size && have > size)
        {
            System.IO.File.Delete(partialPath);
            have = 0;
        }
        if (file.Size is { } complete && have == complete)
        {
            progress(have);
            return;
        }

        using var response = await SendAsync(url, have > 0 ? have : null, cancellationToken);
        var append = false;
        switch (response.StatusCode)
        {
            case HttpStatusCode.PartialContent:
                var range = response.Content.Headers.ContentRange;
                if (range?.From != have)
                    throw new HubException($"The Hub answered a resumed download of {file.Name} with the wrong range ({range}).", transient: true);
                append = true;
                break;
            case HttpStatusCode.OK:
                // A server that ignores Range sends the whole file: start over rather than append it.
                break;
            case HttpStatusCode.RequestedRangeNotSatisfiable:
                System.IO.File.Delete(partialPath);
                throw new HubException($"The partial download of {file.Name} does not fit the file on the Hub; starting it again.", transient: true);
            default:
                throw Refusal(response, repoId, commit, file.Name);
        }

        var expected = file.Size;
        await using (var target = new FileStream(partialPath, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            var written = append ? have : 0;
            progress(written);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[1 << 16];
            while (true)
            {
                int read;
                using (var deadline = ReadDeadline(cancellationToken))
                {
                    read = await body.ReadAsync(buffer, deadline.Token);
                }
                if (read == 0)
                    break;
                written += read;
                if (expected is { } limit && written > limit)
                {
                    target.Close();
                    System.IO.File.Delete(partialPath);
                    throw new HubException($"{file.Name} is larger than the {limit:N0} bytes the Hub's metadata gives: nothing was imported.");
                }
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                progress(written);
            }
            if (expected is { } total && written < total)
                throw new HubException($"The connection closed after {written:N0} of {total:N0} bytes of {file.Name}.", transient: true);
        }
    }

    /// <summary>Size, then SHA-256 (LFS files) or the Git blob id (small files), against the model info.</summary>
    private static async Task VerifyAsync(HubFile file, string path, CancellationToken cancellationToken)
    {
        var length = new FileInfo(path).Length;
        if (file.Size is { } size && length != size)
        {
            System.IO.File.Delete(path);
            throw new HubException($"{file.Name} is {length:N0} bytes, the Hub's metadata says {size:N0}: nothing was imported.");
        }
        string? expected = null, actual = null, kind = null;
        await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
        {
            if (file.Sha256 is { Length: > 0 } sha256)
            {
                (kind, expected) = ("SHA-256", sha256.ToLowerInvariant());
                actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
            }
            else if (file.BlobId is { Length: 40 } blobId)
            {
                (kind, expected) = ("Git blob id", blobId.ToLowerInvariant());
                using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
                sha1.AppendData(Encoding.ASCII.GetBytes($"blob {length.ToString(CultureInfo.InvariantCulture)}\0"));
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
                    sha1.AppendData(buffer, 0, read);
                actual = Convert.ToHexStringLower(sha1.GetHashAndReset());
            }
        }
        if (expected is not null && actual != expected)
        {
            System.IO.File.Delete(path);
            throw new HubException($"{file.Name} does not match the Hub's {kind} (expected {expected}, got {actual}): the download is corrupt or not the file the Hub lists, so nothing was imported.");
        }
    }

    /// <summary>GET with the token for the Hub's own host, following redirects by hand (relative ones too).</summary>
    private async Task<HttpResponseMessage> SendAsync(Uri url, long? rangeFrom, CancellationToken cancellationToken)
    {
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            // The real size, and a Range that means bytes of the file, not of a compressed stream.
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
            if (rangeFrom is { } from)
                request.Headers.Range = new RangeHeaderValue(from, null);
            if (_options.Token is { Length: > 0 } token && string.Equals(url.Host, _endpoint.Host, StringComparison.OrdinalIgnoreCase)
                && url.Port == _endpoint.Port)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            HttpResponseMessage response;
            using (var deadline = ReadDeadline(cancellationToken))
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            }
            if ((int)response.StatusCode is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location)
            {
                response.Dispose();
                if (hop >= MaxRedirects)
                    throw new HubException($"The Hub redirected more than {MaxRedirects} times.");
                url = location.IsAbsoluteUri ? location : new Uri(url, location);
                continue;
            }
            return response;
        }
    }

    /// <summary>The user's reading of a Hub refusal (huggingface_hub's X-Error-Code mapping).</summary>
    private HubException Refusal(HttpResponseMessage response, string repoId, string revision, string? fileName)
    {
        var code = Header(response, "X-Error-Code");
        var message = Header(response, "X-Error-Message");
        var status = (int)response.StatusCode;
        var hasToken = _options.Token is { Length: > 0 };
        return (status, code) switch
        {
            (_, "GatedRepo") => new HubException(hasToken
                ? $"'{repoId}' is a gated model and the platform's Hub token has no access: accept its terms on huggingface.co with the token's account."
                : $"'{repoId}' is a gated model: accept its terms on huggingface.co, then set HuggingFace:Token to an access token of that account."),
            (_, "RevisionNotFound") => new HubException($"'{repoId}' has no revision '{revision}'."),
            (_, "EntryNotFound") => new HubException($"'{repoId}' at {revision} has no file {fileName}."),
            (401, _) when message == "Invalid credentials in Authorization header" =>
                new HubException("The Hub refused the platform's token (HuggingFace:Token): invalid credentials."),
            (401 or 404, _) when fileName is null => new HubException(hasToken
                ? $"No model '{repoId}' on the Hub, or the platform's Hub token cannot see it (private or gated)."
                : $"No model '{repoId}' on the Hub, or it is private or gated (set HuggingFace:Token to a token with access)."),
            (401, _) => new HubException($"The Hub refused to send {fileName} of '{repoId}' without access rights (private or gated model)."),
            (403, _) => new HubException($"The Hub refused access to '{repoId}'{(message is null ? "" : $": {message}")}."),
            (404, _) => new HubException($"'{repoId}' at {revision} has no file {fileName}."),
            (408 or 429 or >= 500, _) => new HubException($"The Hub answered {status} {response.ReasonPhrase}; the import is tried again.", transient: true),
            _ => new HubException($"The Hub answered {status} {response.ReasonPhrase}{(message is null ? "" : $": {message}")}."),
        };
    }

    private static HubModelInfo ParseModelInfo(string repoId, byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var sha = root.TryGetProperty("sha", out var s) ? s.GetString() : null;
            if (string.IsNullOrEmpty(sha))
                throw new HubException($"The Hub's model info for '{repoId}' has no commit (sha).");
            var files = new List<HubFile>();
            if (root.TryGetProperty("siblings", out var siblings) && siblings.ValueKind == JsonValueKind.Array)
            {
                foreach (var sibling in siblings.EnumerateArray())
                {
                    var name = sibling.GetProperty("rfilename").GetString()!;
                    long? size = sibling.TryGetProperty("size", out var sz) && sz.TryGetInt64(out var n) ? n : null;
                    string? sha256 = null;
                    if (sibling.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
                    {
                        sha256 = lfs.TryGetProperty("sha256", out var h) ? h.GetString() : null;
                        size ??= lfs.TryGetProperty("size", out var ls) && ls.TryGetInt64(out var m) ? m : null;
                    }
                    var blobId = sibling.TryGetProperty("blobId", out var b) ? b.GetString() : null;
                    files.Add(new HubFile(name, size, sha256, blobId));
                }
            }
            var modelType = root.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object
                            && config.TryGetProperty("model_type", out var type) ? type.GetString() : null;
            var gated = root.TryGetProperty("gated", out var g) && g.ValueKind == JsonValueKind.String;
            var isPrivate = root.TryGetProperty("private", out var p) && p.ValueKind == JsonValueKind.True;
            return new HubModelInfo(root.TryGetProperty("id", out var id) ? id.GetString() ?? repoId : repoId, sha, files, modelType, gated, isPrivate);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new HubException($"The Hub's model info for '{repoId}' is not what the Hub API returns: {ex.Message}");
        }
    }

    private CancellationTokenSource ReadDeadline(CancellationToken cancellationToken)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.Timeout);
        return deadline;
    }

    /// <summary>A dropped connection, a reset or a stalled read, as opposed to the caller's own cancellation.</summary>
    private static bool IsNetworkFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is HttpRequestException or IOException && ex is not FileNotFoundException and not DirectoryNotFoundException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private TimeSpan Backoff(int attempt) => _options.RetryDelay * Math.Pow(2, Math.Min(attempt, 6));

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    [GeneratedRegex(@"^(?:[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9_.\-]{0,95}$")]
    private static partial Regex RepoIdPattern();

    public void Dispose() => _http.Dispose();
}
