using Platform.Domain.Common;

namespace Platform.Data.Datasets;

/// <summary>
/// The upload copied to a scratch file while it streams in, so the request body is read once, never
/// held in memory, and cut off as soon as it passes the size limit. Parsers then read the file
/// (a ZIP's central directory sits at its end, so it needs a seekable copy anyway).
/// </summary>
internal sealed class UploadSpool : IAsyncDisposable
{
    private UploadSpool(string path, FileStream file)
    {
        Path = path;
        File = file;
    }

    public string Path { get; }

    /// <summary>The spooled bytes, readable and seekable; deleted on dispose.</summary>
    public FileStream File { get; }

    /// <param name="limitName">Which limit the refusal names: "upload limit", or a plan's dataset limit.</param>
    public static async Task<Result<UploadSpool>> CreateAsync(Stream source, string directory, long maxBytes, CancellationToken cancellationToken,
        string limitName = "upload limit")
    {
        Directory.CreateDirectory(directory);
        var path = System.IO.Path.Combine(directory, Guid.NewGuid().ToString("N"));
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        try
        {
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > maxBytes)
                {
                    await file.DisposeAsync();
                    return Result<UploadSpool>.BadRequest($"The file is larger than the {Describe(maxBytes)} {limitName}.");
                }
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
            if (total == 0)
            {
                await file.DisposeAsync();
                return Result<UploadSpool>.BadRequest("The file is empty.");
            }
            await file.FlushAsync(cancellationToken);
            file.Position = 0;
            return Result<UploadSpool>.Success(new UploadSpool(path, file));
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    internal static string Describe(long bytes) =>
        bytes >= 1024 * 1024 ? $"{bytes / (1024.0 * 1024):0.#} MB" : bytes >= 1024 ? $"{bytes / 1024.0:0.#} KB" : $"{bytes} byte";

    public ValueTask DisposeAsync() => File.DisposeAsync();
}
