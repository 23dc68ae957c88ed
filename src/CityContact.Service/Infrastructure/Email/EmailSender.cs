using CityContact.Service.Infrastructure.Configuration;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace CityContact.Service.Infrastructure.Email;

public sealed record EmailPart(string Name, string MediaType, byte[] Content);

/// <summary>An HTML e-mail; each inline image is referenced from the HTML as cid:&lt;Name&gt;.</summary>
public sealed record EmailMessage(IReadOnlyList<string> To, string Subject, string Html, IReadOnlyList<EmailPart> InlineImages, IReadOnlyList<EmailPart> Attachments);

public sealed class EmailDeliveryException(int attempts, Exception inner)
    : Exception($"e-mail not delivered after {attempts} attempt(s): {inner.Message}", inner)
{
    public int Attempts { get; } = attempts;
}

/// <summary>Sends over SMTP with MailKit (settings Smtp:*), retrying with exponential back-off; the password never reaches a log.</summary>
public sealed class EmailSender(IOptions<SmtpOptions> options, ILogger<EmailSender> logger)
{
    /// <summary>Sends, trying up to <paramref name="attempts"/> times; returns the attempts it took.</summary>
    public async Task<int> SendAsync(EmailMessage email, int attempts, TimeSpan firstRetryDelay, CancellationToken ct)
    {
        var smtp = options.Value;
        if (string.IsNullOrWhiteSpace(smtp.Host))
        {
            throw new EmailDeliveryException(0, new InvalidOperationException("Smtp:Host is not configured"));
        }
        var message = Compose(email, smtp.From);
        var delay = firstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var client = new SmtpClient();
                await client.ConnectAsync(smtp.Host, smtp.Port, SocketOptions(smtp.Security), ct);
                if (!string.IsNullOrEmpty(smtp.User))
                {
                    await client.AuthenticateAsync(smtp.User, smtp.Password ?? "", ct);
                }
                await client.SendAsync(message, ct);
                await client.DisconnectAsync(quit: true, ct);
                logger.LogInformation("E-mail {Subject} sent to {RecipientCount} recipient(s) via {Host}:{Port} (attempt {Attempt})",
                    email.Subject, email.To.Count, smtp.Host, smtp.Port, attempt);
                return attempt;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (attempt >= attempts)
                {
                    logger.LogError("E-mail {Subject} not delivered via {Host}:{Port} after {Attempt} attempt(s): {Error}",
                        email.Subject, smtp.Host, smtp.Port, attempt, e.Message);
                    throw new EmailDeliveryException(attempt, e);
                }
                logger.LogWarning("E-mail {Subject} via {Host}:{Port} failed (attempt {Attempt} of {Attempts}), retrying in {Delay}: {Error}",
                    email.Subject, smtp.Host, smtp.Port, attempt, attempts, delay, e.Message);
                await Task.Delay(delay, ct);
                delay *= 2;
            }
        }
    }

    public static MimeMessage Compose(EmailMessage email, string from)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        foreach (var to in email.To)
        {
            message.To.Add(MailboxAddress.Parse(to));
        }
        message.Subject = email.Subject;
        var body = new BodyBuilder { HtmlBody = email.Html, TextBody = PlainText.FromHtml(email.Html) };
        foreach (var image in email.InlineImages)
        {
            var resource = body.LinkedResources.Add(image.Name, image.Content, ContentType.Parse(image.MediaType));
            resource.ContentId = image.Name;
        }
        foreach (var attachment in email.Attachments)
        {
            body.Attachments.Add(attachment.Name, attachment.Content, ContentType.Parse(attachment.MediaType));
        }
        message.Body = body.ToMessageBody();
        return message;
    }

    private static SecureSocketOptions SocketOptions(SmtpSecurity security) => security switch
    {
        SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
        SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.None,
    };
}
