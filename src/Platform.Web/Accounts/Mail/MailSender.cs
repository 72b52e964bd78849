using MailKit.Net.Smtp;
using Microsoft.Extensions.Options;
using MimeKit;
using Platform.Data.Artifacts;

namespace Platform.Web.Accounts.Mail;

/// <summary>One message out: to the SMTP server of <see cref="MailOptions.Smtp"/>, or to the pickup directory.</summary>
public sealed class MailSender(IOptions<MailOptions> options, IOptions<StorageOptions> storage, ILogger<MailSender> logger)
{
    public bool UsesSmtp => !string.IsNullOrWhiteSpace(options.Value.Smtp.Host);

    /// <summary>Where mail goes without SMTP.</summary>
    public string PickupDirectory =>
        options.Value.PickupDirectory is { Length: > 0 } directory ? directory : Path.Combine(storage.Value.Root!, "mail");

    public async Task SendAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        var mime = ToMime(message);
        if (UsesSmtp)
        {
            var smtp = options.Value.Smtp;
            using var client = new SmtpClient { Timeout = 30_000 };
            await client.ConnectAsync(smtp.Host!, smtp.Port, smtp.Security, cancellationToken);
            if (!string.IsNullOrEmpty(smtp.Username))
                await client.AuthenticateAsync(smtp.Username, smtp.Password ?? "", cancellationToken);
            await client.SendAsync(mime, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
            return;
        }
        Directory.CreateDirectory(PickupDirectory);
        var path = Path.Combine(PickupDirectory, $"{message.Id:N}.eml");
        // Written under a temporary name, then renamed: a reader of the directory never sees half a message.
        var partial = path + ".partial";
        await mime.WriteToAsync(partial, cancellationToken);
        File.Move(partial, path, overwrite: true);
        // Development and demo installs have no mail server: the log says where the message is and its link.
        logger.LogWarning("Mail to {To} ({Subject}) written to {Path} (no Mail:Smtp:Host set). Link: {Link}",
            message.To, message.Subject, path, message.Link ?? "none");
    }

    private MimeMessage ToMime(OutboxMessage message)
    {
        var mime = new MimeMessage();
        mime.From.Add(new MailboxAddress(options.Value.FromName, options.Value.From));
        mime.To.Add(MailboxAddress.Parse(message.To));
        mime.Subject = message.Subject;
        mime.MessageId = $"{message.Id:N}@{options.Value.From.Split('@')[^1]}";
        mime.Body = new TextPart("plain") { Text = message.Body };
        return mime;
    }
}
