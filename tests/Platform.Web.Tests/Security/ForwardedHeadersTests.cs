using System.Net;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Platform.Web.Tests.Infrastructure;

namespace Platform.Web.Tests.Security;

/// <summary>
/// Behind a TLS-terminating proxy the portal sees plain http: it must take https from the proxy's
/// X-Forwarded-Proto, so the sign-in and antiforgery cookies are Secure (and HSTS is sent), but only
/// when the request comes from a proxy it was told to trust (ForwardedHeaders:KnownProxies).
/// </summary>
public sealed class ForwardedHeadersTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const string Proxy = "10.0.0.5";

    [Fact]
    public async Task SignIn_HttpsForwardedByTrustedProxy_AuthAndAntiforgeryCookiesSecure()
    {
        var user = await portal.CreateUserAsync();
        using var http = ClientFrom(Proxy);

        var (antiforgery, auth, hsts) = await SignInAsync(http, user.Email!);

        Assert.Contains("secure", antiforgery, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", antiforgery, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", auth, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", auth, StringComparison.OrdinalIgnoreCase);
        Assert.True(hsts);
    }

    [Fact]
    public async Task SignIn_HttpsForwardedByUntrustedClient_IgnoredAndCookiesNotSecure()
    {
        var user = await portal.CreateUserAsync();
        using var http = ClientFrom("203.0.113.7");

        var (antiforgery, auth, hsts) = await SignInAsync(http, user.Email!);

        // The header is the client's claim, not a proxy's: the request stays http, so nothing says Secure.
        Assert.DoesNotContain("secure", antiforgery, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", auth, StringComparison.OrdinalIgnoreCase);
        Assert.False(hsts);
    }

    /// <summary>
    /// The sign-in form fetched and posted with X-Forwarded-Proto: https, cookies carried by hand (a
    /// cookie container keeps Secure cookies from an http address). Returns both Set-Cookie headers.
    /// </summary>
    private static async Task<(string Antiforgery, string Auth, bool Hsts)> SignInAsync(HttpClient http, string email)
    {
        using var get = new HttpRequestMessage(HttpMethod.Get, "/account/sign-in");
        get.Headers.Add("X-Forwarded-Proto", "https");
        // HSTS is never sent to localhost (the test server's name): a public name, as behind a real proxy.
        get.Headers.Host = "portal.example.com";
        using var form = await http.SendAsync(get);
        var antiforgery = Assert.Single(form.Headers.GetValues("Set-Cookie"), c => c.StartsWith(".AspNetCore.Antiforgery", StringComparison.Ordinal));
        var document = new HtmlParser().ParseDocument(await form.Content.ReadAsStringAsync());
        var values = PortalClient.FormValues((IHtmlFormElement)document.QuerySelector("form")!);
        values.RemoveAll(v => v.Key.StartsWith("Input.", StringComparison.Ordinal));
        values.Add(new("Input.Email", email));
        values.Add(new("Input.Password", PortalFactory.Password));

        using var post = new HttpRequestMessage(HttpMethod.Post, "/account/sign-in") { Content = new FormUrlEncodedContent(values) };
        post.Headers.Add("X-Forwarded-Proto", "https");
        post.Headers.Host = "portal.example.com";
        post.Headers.Add("Cookie", antiforgery.Split(';')[0]);
        using var signedIn = await http.SendAsync(post);

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        var auth = Assert.Single(signedIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith("platform.auth=", StringComparison.Ordinal));
        return (antiforgery, auth, form.Headers.Contains("Strict-Transport-Security"));
    }

    /// <summary>A client whose connections come from <paramref name="address"/> (the test server has no sockets).</summary>
    private HttpClient ClientFrom(string address)
    {
        var factory = portal.WithWebHostBuilder(b =>
        {
            b.UseSetting("ForwardedHeaders:KnownProxies:0", Proxy);
            b.ConfigureServices(s => s.AddSingleton<IStartupFilter>(new RemoteAddress(IPAddress.Parse(address))));
        });
        return factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
    }

    /// <summary>Runs before the portal's pipeline (and so before its forwarded-headers middleware), as the socket would.</summary>
    private sealed class RemoteAddress(IPAddress address) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress = address;
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
