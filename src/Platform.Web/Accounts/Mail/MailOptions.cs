using System.ComponentModel.DataAnnotations;

namespace Platform.Web.Accounts.Mail;

/// <summary>
/// Section "Mail": how the portal's account mail (email confirmation, "someone tried to sign up with
/// your address") leaves. With <c>Mail:Smtp:Host</c> set it goes to that SMTP server; without, each
/// message is written as an .eml file to <see cref="PickupDirectory"/> and its link is logged, so a
/// development or demo install (<c>./platform up</c>) can confirm accounts without a mail server.
/// </summary>
public sealed class MailOptions : IValidatableObject
{
    public const string Section = "Mail";

    /// <summary>
    /// The portal's public address, the base of every link in a mail. Never taken from the request's Host
    /// header: a forged Host would send confirmation links (and their tokens) to the attacker's site.
    /// </summary>
    [Required, Url]
    public string PortalUrl { get; set; } = "http://127.0.0.1:5080";

    [Required, EmailAddress, MaxLength(256)]
    public string From { get; set; } = "no-reply@platform.local";

    [MaxLength(100)]
    public string FromName { get; set; } = "Platform";

    /// <summary>Without an SMTP host: where mail is written (.eml files). Default {Storage:Root}/mail.</summary>
    public string? PickupDirectory { get; set; }

    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>How long a confirmation link works.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "30.00:00:00")]
    public TimeSpan ConfirmationLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The shortest wait between two confirmation mails to one account ("send it again").</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan ResendInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Attempts before a message is given up (kept in the outbox with its last error).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ResendInterval >= ConfirmationLifetime)
        {
            yield return new ValidationResult(
                $"Mail:ResendInterval ({ResendInterval}) must be shorter than Mail:ConfirmationLifetime ({ConfirmationLifetime}): " +
                "a link would expire before a new one could be asked for.",
                [nameof(ResendInterval), nameof(ConfirmationLifetime)]);
        }
    }
}

public sealed class SmtpOptions
{
    /// <summary>Empty: no SMTP, mail goes to the pickup directory.</summary>
    [MaxLength(256)]
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 587;

    /// <summary>Auto (STARTTLS when offered; TLS on connect for port 465), StartTls (required), SslOnConnect or None.</summary>
    public MailKit.Security.SecureSocketOptions Security { get; set; } = MailKit.Security.SecureSocketOptions.Auto;

    [MaxLength(256)]
    public string? Username { get; set; }

    [MaxLength(1000)]
    public string? Password { get; set; }
}
