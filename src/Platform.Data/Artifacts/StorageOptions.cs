using System.ComponentModel.DataAnnotations;

namespace Platform.Data.Artifacts;

/// <summary>Section "Storage".</summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string SectionName = "Storage";

    /// <summary>
    /// Directory holding one sub-directory per tenant (and upload scratch space). With the S3 store it
    /// only holds scratch space: uploads being validated and files being encrypted on their way to the bucket.
    /// </summary>
    [Required(ErrorMessage = "Storage:Root is not set.")]
    public string? Root { get; set; }

    /// <summary>Where artifacts are stored: Local (under Root, the default) or S3 (section Storage:S3).</summary>
    public StorageProvider Provider { get; set; } = StorageProvider.Local;

    public S3StorageOptions S3 { get; set; } = new();

    /// <summary>
    /// Base64 of 32 random bytes (`openssl rand -base64 32`): the master key that wraps every tenant's data
    /// key. Unset, a generated key file under {Root}/keys is used (demo and single-host installs only).
    /// </summary>
    public string? MasterKey { get; set; }

    /// <summary>Master keys replaced by <see cref="MasterKey"/>: still unwrap data keys until `--rotate-keys` re-wrapped them.</summary>
    public string[]? PreviousMasterKeys { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var errors = new List<ValidationResult>();
        if (Provider == StorageProvider.S3)
        {
            if (string.IsNullOrWhiteSpace(S3.Bucket))
                errors.Add(new ValidationResult("Storage:S3:Bucket is not set (Storage:Provider is S3).", ["Storage:S3:Bucket"]));
            Validator.TryValidateObject(S3, new ValidationContext(S3), errors, validateAllProperties: true);
        }
        Check(MasterKey, "Storage:MasterKey");
        foreach (var previous in PreviousMasterKeys ?? [])
            Check(previous, "Storage:PreviousMasterKeys");
        return errors;

        void Check(string? key, string name)
        {
            if (string.IsNullOrEmpty(key))
                return;
            try
            {
                DecodeKey(key, name);
            }
            catch (FormatException e)
            {
                errors.Add(new ValidationResult(e.Message, [name]));
            }
        }
    }

    internal static byte[] DecodeKey(string base64, string name)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64.Trim());
        }
        catch (FormatException)
        {
            throw new FormatException($"{name} is not base64 (make one with `openssl rand -base64 32`).");
        }
        return key.Length == 32 ? key : throw new FormatException($"{name} must be 32 bytes (base64 of `openssl rand -base64 32`), not {key.Length}.");
    }

    /// <summary>
    /// Scratch space for uploads while they stream in and are parsed (files deleted on close; the
    /// housekeeping job removes those a crashed process left behind).
    /// A method, not a property: options validation reads every property, and this one needs Root.
    /// </summary>
    public string UploadScratchDirectory() => Path.Combine(Path.GetFullPath(Root!), "uploads");
}

public enum StorageProvider
{
    Local,
    S3,
}
