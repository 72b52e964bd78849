using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Data.Artifacts.Encryption;

/// <summary>
/// Master keys from configuration: Storage:MasterKey (base64 of 32 random bytes) wraps, and
/// Storage:PreviousMasterKeys still unwrap until a rotation has re-wrapped every data key. Each key is
/// named by its fingerprint (SHA-256 of the key, first 8 bytes), so configuration needs no key ids.
/// Without Storage:MasterKey a key file under the store root is created once and used, with a warning:
/// it keeps a demo or a single-host install working, and protects nothing against whoever reads that disk.
/// </summary>
internal sealed class ConfiguredMasterKeys : IMasterKey
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);
    private readonly byte[] _current;

    public ConfiguredMasterKeys(IOptions<StorageOptions> options, ILogger<ConfiguredMasterKeys> logger)
    {
        var settings = options.Value;
        if (settings.MasterKey is { Length: > 0 } configured)
        {
            _current = StorageOptions.DecodeKey(configured, "Storage:MasterKey");
        }
        else if (settings.Provider == StorageProvider.S3)
        {
            // Every host reads the same bucket: a key file on one host's disk would lock the others out.
            throw new InvalidOperationException("Storage:MasterKey is required with Storage:Provider S3 (every host must share it).");
        }
        else
        {
            var path = Path.Combine(Path.GetFullPath(settings.Root!), "keys", "master.key");
            _current = ReadOrCreateKeyFile(path);
            logger.LogWarning(
                "Storage:MasterKey is not set: tenant data keys are wrapped with the key file {Path}, beside the data. Set Storage:MasterKey (or a KMS) in production.",
                path);
        }
        CurrentKeyId = IdOf(_current);
        _keys[CurrentKeyId] = _current;
        foreach (var previous in settings.PreviousMasterKeys ?? [])
        {
            var key = StorageOptions.DecodeKey(previous, "Storage:PreviousMasterKeys");
            _keys.TryAdd(IdOf(key), key);
        }
    }

    public string CurrentKeyId { get; }

    public Task<WrappedKey> WrapAsync(byte[] dataKey, byte[] context, CancellationToken cancellationToken)
    {
        var sealedKey = new byte[NonceSize + dataKey.Length + TagSize];
        var nonce = sealedKey.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(_current, TagSize);
        gcm.Encrypt(nonce, dataKey, sealedKey.AsSpan(NonceSize, dataKey.Length), sealedKey.AsSpan(NonceSize + dataKey.Length), context);
        return Task.FromResult(new WrappedKey(CurrentKeyId, sealedKey));
    }

    public Task<byte[]> UnwrapAsync(WrappedKey wrapped, byte[] context, CancellationToken cancellationToken)
    {
        if (!_keys.TryGetValue(wrapped.MasterKeyId, out var master))
            throw new InvalidOperationException(
                $"A tenant data key is wrapped with master key {wrapped.MasterKeyId}, which is neither Storage:MasterKey nor in Storage:PreviousMasterKeys.");
        var length = wrapped.Bytes.Length - NonceSize - TagSize;
        if (length <= 0)
            throw new InvalidDataException("A wrapped tenant data key is too short.");
        var key = new byte[length];
        using var gcm = new AesGcm(master, TagSize);
        try
        {
            gcm.Decrypt(wrapped.Bytes.AsSpan(0, NonceSize), wrapped.Bytes.AsSpan(NonceSize, length),
                wrapped.Bytes.AsSpan(NonceSize + length), key, context);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new InvalidDataException($"A tenant data key does not unwrap with master key {wrapped.MasterKeyId}: it was altered or moved.", e);
        }
        return Task.FromResult(key);
    }

    internal static string IdOf(byte[] key) => "local:" + Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 8));

    private static byte[] ReadOrCreateKeyFile(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var key = RandomNumberGenerator.GetBytes(32);
            // Written whole to a temp file, then moved into place without overwriting: two processes
            // starting at once both end up with whichever key landed first.
            var temp = path + "." + Guid.NewGuid().ToString("N");
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var file = new FileStream(temp, create))
                file.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(key)));
            try
            {
                File.Move(temp, path, overwrite: false);
                return key;
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temp);
            }
        }
        return StorageOptions.DecodeKey(File.ReadAllText(path).Trim(), path);
    }
}
