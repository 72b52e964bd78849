using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.Testing;

/// <summary>
/// A local stand-in for the Hugging Face Hub, with the URL layout and headers huggingface_hub relies on:
/// GET /api/models/{id}/revision/{rev}?blobs=true (siblings with size, blobId and lfs.sha256), and
/// /{id}/resolve/{rev}/{file}: small files answered directly (ETag = Git blob id, X-Repo-Commit), LFS files
/// with a 302 to a second listener standing in for the CDN (X-Linked-Size, X-Linked-Etag), which honours
/// Range (206). Unknown repos, revisions and files get 404 with X-Error-Code; a gated repo's files get 401
/// (X-Error-Code: GatedRepo) without the right Bearer token. Faults can be injected: a connection dropped
/// mid-file, a download held open until released. Requests are recorded for assertions.
/// Nothing here reaches the internet; it serves only what a test added.
/// </summary>
public sealed class HubStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, HubRepo> _repos = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HubBlob> _blobs = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<HubRequest> _requests = new();
    private readonly ConcurrentDictionary<string, Fault> _faults = new(StringComparer.Ordinal);

    private HubStandIn(WebApplication app) => _app = app;

    /// <summary>The Hub's address: what HuggingFace:Endpoint points at.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>The CDN stand-in's address (another port: a different origin, so the token must not reach it).</summary>
    public string CdnEndpoint { get; private set; } = "";

    /// <summary>The token a gated repo's files require (Authorization: Bearer ...).</summary>
    public string AccessToken { get; set; } = "hf_test_token";

    public IReadOnlyList<HubRequest> Requests => [.. _requests];

    public static async Task<HubStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // Two ports: the Hub, and the CDN it redirects downloads to (another origin, as in production).
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        var hub = new HubStandIn(app);
        app.Run(hub.HandleAsync);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();
        hub.Endpoint = addresses[0].TrimEnd('/');
        hub.CdnEndpoint = addresses[1].TrimEnd('/');
        return hub;
    }

    /// <summary>A repository whose "main" points at one commit; <see cref="HubRepo.AddFile"/> fills it.</summary>
    public HubRepo AddRepo(string repoId, bool gated = false)
    {
        var repo = new HubRepo(this, repoId, gated);
        _repos[repoId] = repo;
        return repo;
    }

    /// <summary>
    /// The next download of <paramref name="fileName"/> in <paramref name="repoId"/> from the CDN stops after
    /// <paramref name="afterBytes"/> bytes by dropping the connection, <paramref name="times"/> times.
    /// </summary>
    public void DropConnection(string repoId, string fileName, long afterBytes, int times = 1) =>
        _faults[$"{repoId}/{fileName}"] = new Fault(afterBytes, times, null);

    /// <summary>
    /// The next download of the file sends <paramref name="afterBytes"/> bytes, then waits until the returned
    /// source is completed (or the client goes away) before it drops the connection: an import caught mid-file.
    /// </summary>
    public TaskCompletionSource HoldDownload(string repoId, string fileName, long afterBytes)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _faults[$"{repoId}/{fileName}"] = new Fault(afterBytes, 1, release);
        return release;
    }

    /// <summary>Requests for one file of one repo, to the Hub and to the CDN, in order.</summary>
    public IReadOnlyList<HubRequest> RequestsFor(string repoId, string fileName) =>
        Requests.Where(r => r.RepoId == repoId && r.File == fileName).ToList();

    private async Task HandleAsync(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var path = raw.Split('?')[0];
        var authorization = context.Request.Headers.Authorization.ToString();
        var range = context.Request.Headers.Range.ToString();
        var isCdn = context.Connection.LocalPort == new Uri(CdnEndpoint).Port;
        if (isCdn && path.StartsWith("/blobs/", StringComparison.Ordinal))
        {
            var key = Uri.UnescapeDataString(path["/blobs/".Length..]);
            _blobs.TryGetValue(key, out var blob);
            _requests.Enqueue(new HubRequest("cdn", blob?.Repo.Id, blob?.File.Name, raw, range, authorization));
            await ServeBlobAsync(context, blob);
            return;
        }
        if (isCdn)
        {
            context.Response.StatusCode = 404;
            return;
        }
        if (path.StartsWith("/api/models/", StringComparison.Ordinal))
        {
            var rest = path["/api/models/".Length..];
            var at = rest.IndexOf("/revision/", StringComparison.Ordinal);
            var repoId = Uri.UnescapeDataString(at < 0 ? rest : rest[..at]);
            var revision = at < 0 ? "main" : Uri.UnescapeDataString(rest[(at + "/revision/".Length)..]);
            _requests.Enqueue(new HubRequest("info", repoId, null, raw, range, authorization));
            await ServeInfoAsync(context, repoId, revision);
            return;
        }
        var resolve = path.IndexOf("/resolve/", StringComparison.Ordinal);
        if (resolve > 0)
        {
            var repoId = Uri.UnescapeDataString(path[1..resolve]);
            var tail = path[(resolve + "/resolve/".Length)..];
            var slash = tail.IndexOf('/');
            var revision = Uri.UnescapeDataString(slash < 0 ? tail : tail[..slash]);
            var file = slash < 0 ? "" : string.Join('/', tail[(slash + 1)..].Split('/').Select(Uri.UnescapeDataString));
            _requests.Enqueue(new HubRequest("resolve", repoId, file, raw, range, authorization));
            await ServeResolveAsync(context, repoId, revision, file, authorization);
            return;
        }
        _requests.Enqueue(new HubRequest("other", null, null, raw, range, authorization));
        context.Response.StatusCode = 404;
    }

    private async Task ServeInfoAsync(HttpContext context, string repoId, string revision)
    {
        if (!_repos.TryGetValue(repoId, out var repo))
        {
            Error(context, 404, "RepoNotFound", "Repository not found");
            return;
        }
        if (repo.Resolve(revision) is not { } commit)
        {
            Error(context, 404, "RevisionNotFound", "Invalid rev id: " + revision);
            return;
        }
        var blobs = context.Request.Query.ContainsKey("blobs");
        var siblings = repo.Files(commit).Select(f =>
        {
            var sibling = new Dictionary<string, object?> { ["rfilename"] = f.Name };
            if (blobs)
            {
                sibling["size"] = f.Content.Length;
                sibling["blobId"] = f.BlobId;
                if (f.Lfs)
                    sibling["lfs"] = new Dictionary<string, object?> { ["sha256"] = f.AdvertisedSha256, ["size"] = f.Content.Length, ["pointerSize"] = 134 };
            }
            return sibling;
        }).ToList();
        object? config = null;
        if (repo.Files(commit).FirstOrDefault(f => f.Name == "config.json") is { } configFile)
        {
            using var document = JsonDocument.Parse(configFile.Content);
            config = new Dictionary<string, object?>
            {
                ["model_type"] = document.RootElement.TryGetProperty("model_type", out var type) ? type.GetString() : null,
                ["architectures"] = document.RootElement.TryGetProperty("architectures", out var architectures)
                    ? architectures.EnumerateArray().Select(a => a.GetString()).ToList() : null,
            };
        }
        var info = new Dictionary<string, object?>
        {
            ["_id"] = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(repoId)))[..24],
            ["id"] = repoId,
            ["modelId"] = repoId,
            ["author"] = repoId.Contains('/') ? repoId[..repoId.IndexOf('/')] : null,
            ["sha"] = commit,
            ["lastModified"] = "2024-01-01T00:00:00.000Z",
            ["private"] = false,
            ["disabled"] = false,
            ["gated"] = repo.Gated ? "manual" : false,
            ["library_name"] = "transformers",
            ["tags"] = new[] { "transformers", "safetensors" },
            ["config"] = config,
            ["siblings"] = siblings,
        };
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(JsonSerializer.Serialize(info));
    }

    private async Task ServeResolveAsync(HttpContext context, string repoId, string revision, string fileName, string authorization)
    {
        if (!_repos.TryGetValue(repoId, out var repo))
        {
            Error(context, 404, "RepoNotFound", "Repository not found");
            return;
        }
        if (repo.Gated && authorization != $"Bearer {AccessToken}")
        {
            Error(context, 401, "GatedRepo", $"Access to model {repoId} is restricted. You must have access to it and be authenticated to access it.");
            return;
        }
        if (repo.Resolve(revision) is not { } commit)
        {
            Error(context, 404, "RevisionNotFound", "Invalid rev id: " + revision);
            return;
        }
        var file = repo.Files(commit).FirstOrDefault(f => f.Name == fileName);
        if (file is null)
        {
            Error(context, 404, "EntryNotFound", $"{fileName} does not exist on \"{revision}\"");
            return;
        }
        context.Response.Headers["X-Repo-Commit"] = commit;
        if (file.Lfs)
        {
            var key = $"{file.RealSha256}-{Guid.NewGuid():N}";
            _blobs[key] = new HubBlob(repo, file);
            context.Response.StatusCode = (int)HttpStatusCode.Found;
            context.Response.Headers.Location = $"{CdnEndpoint}/blobs/{key}";
            context.Response.Headers["X-Linked-Size"] = file.Content.Length.ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["X-Linked-Etag"] = $"\"{file.AdvertisedSha256}\"";
            context.Response.Headers.ETag = $"\"{file.BlobId}\"";
            return;
        }
        context.Response.Headers.ETag = $"\"{file.BlobId}\"";
        await WriteContentAsync(context, repo, file);
    }

    private async Task ServeBlobAsync(HttpContext context, HubBlob? blob)
    {
        if (blob is null)
        {
            context.Response.StatusCode = 403;
            return;
        }
        context.Response.Headers.ETag = $"\"{blob.File.AdvertisedSha256}\"";
        await WriteContentAsync(context, blob.Repo, blob.File);
    }

    /// <summary>The file, or the part a Range asks for (206 with Content-Range), with any fault injected for it.</summary>
    private async Task WriteContentAsync(HttpContext context, HubRepo repo, HubFile file)
    {
        var content = file.Content;
        long from = 0;
        context.Response.Headers.AcceptRanges = "bytes";
        if (context.Request.Headers.Range.ToString() is { Length: > 0 } range && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            from = long.Parse(range["bytes=".Length..^1], CultureInfo.InvariantCulture);
            if (from >= content.Length)
            {
                context.Response.StatusCode = (int)HttpStatusCode.RequestedRangeNotSatisfiable;
                context.Response.Headers.ContentRange = $"bytes */{content.Length}";
                return;
            }
            context.Response.StatusCode = (int)HttpStatusCode.PartialContent;
            context.Response.Headers.ContentRange = $"bytes {from}-{content.Length - 1}/{content.Length}";
        }
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = content.Length - from;
        var faultKey = $"{repo.Id}/{file.Name}";
        if (_faults.TryGetValue(faultKey, out var fault) && fault.Times > 0 && from < fault.AfterBytes)
        {
            fault.Times--;
            if (fault.Times == 0)
                _faults.TryRemove(faultKey, out _);
            await context.Response.Body.WriteAsync(content.AsMemory((int)from, (int)(fault.AfterBytes - from)));
            await context.Response.Body.FlushAsync();
            try
            {
                // The reset below makes the client's kernel drop bytes it has received but not read yet:
                // give it time to read them first, so the test knows where the download stopped.
                await (fault.Release?.Task ?? Task.Delay(300)).WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
            context.Abort();
            return;
        }
        await context.Response.Body.WriteAsync(content.AsMemory((int)from));
    }

    private static void Error(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.Headers["X-Error-Code"] = code;
        context.Response.Headers["X-Error-Message"] = message;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class Fault(long afterBytes, int times, TaskCompletionSource? release)
    {
        public long AfterBytes { get; } = afterBytes;
        public int Times { get; set; } = times;
        public TaskCompletionSource? Release { get; } = release;
    }

    private sealed record HubBlob(HubRepo Repo, HubFile File);
}

/// <summary>One request the stand-in answered: kind is info, resolve, cdn or other.</summary>
public sealed record HubRequest(string Kind, string? RepoId, string? File, string Target, string Range, string Authorization);

/// <summary>A repository of the stand-in: commits of files, and branches ("main") pointing at them.</summary>
public sealed class HubRepo
{
    private readonly HubStandIn _hub;
    private readonly ConcurrentDictionary<string, List<HubFile>> _commits = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _refs = new(StringComparer.Ordinal);

    internal HubRepo(HubStandIn hub, string id, bool gated)
    {
        _hub = hub;
        Id = id;
        Gated = gated;
        MainCommit = NewCommitId();
        _commits[MainCommit] = [];
        _refs["main"] = MainCommit;
    }

    public string Id { get; }

    public bool Gated { get; }

    public string MainCommit { get; private set; }

    /// <summary>
    /// Adds a file to the main commit. LFS (a 302 to the CDN, checked by SHA-256) by default for weights;
    /// <paramref name="advertisedSha256"/> makes the metadata lie about the content (a corrupt mirror).
    /// </summary>
    public HubRepo AddFile(string name, byte[] content, bool? lfs = null, string? advertisedSha256 = null)
    {
        var isLfs = lfs ?? (name.EndsWith(".safetensors", StringComparison.Ordinal) || name.EndsWith(".bin", StringComparison.Ordinal)
                            || name.EndsWith(".ckpt", StringComparison.Ordinal) || name.EndsWith(".h5", StringComparison.Ordinal));
        var files = _commits[MainCommit];
        files.RemoveAll(f => f.Name == name);
        files.Add(new HubFile(name, content, isLfs, advertisedSha256));
        return this;
    }

    /// <summary>Every file of a folder (a model folder the test built), at the top of the repo.</summary>
    public HubRepo AddFolder(string folder)
    {
        foreach (var path in Directory.GetFiles(folder))
            AddFile(Path.GetFileName(path), File.ReadAllBytes(path));
        return this;
    }

    /// <summary>Points <paramref name="name"/> (a branch, tag or refs/pr/N) at a new commit holding these files only.</summary>
    public string AddRevision(string name, IEnumerable<(string Name, byte[] Content)> files)
    {
        var commit = NewCommitId();
        _commits[commit] = files.Select(f => new HubFile(f.Name, f.Content,
            f.Name.EndsWith(".safetensors", StringComparison.Ordinal) || f.Name.EndsWith(".bin", StringComparison.Ordinal), null)).ToList();
        _refs[name] = commit;
        return commit;
    }

    internal string? Resolve(string revision) =>
        _refs.TryGetValue(revision, out var commit) ? commit : _commits.ContainsKey(revision) ? revision : null;

    internal IReadOnlyList<HubFile> Files(string commit) => _commits[commit];

    private static string NewCommitId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
}

/// <summary>One file of a stand-in commit, with the ids the Hub computes for it.</summary>
public sealed class HubFile(string name, byte[] content, bool lfs, string? advertisedSha256)
{
    public string Name { get; } = name;
    public byte[] Content { get; } = content;
    public bool Lfs { get; } = lfs;
    public string RealSha256 { get; } = Convert.ToHexStringLower(SHA256.HashData(content));
    public string AdvertisedSha256 => advertisedSha256 ?? RealSha256;

    /// <summary>Git's blob id: SHA-1 of "blob {size}\0" and the content.</summary>
    public string BlobId { get; } = Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));
}
