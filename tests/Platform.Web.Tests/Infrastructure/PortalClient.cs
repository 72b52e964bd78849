using System.Net;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace Platform.Web.Tests.Infrastructure;

/// <summary>
/// A browser-like client: keeps cookies, reads pages as HTML and submits their forms with every
/// field the page rendered (antiforgery token and Blazor's form name included), as a browser would.
/// </summary>
public sealed class PortalClient(HttpClient http) : IDisposable
{
    public HttpClient Http { get; } = http;

    public async Task<Page> GetAsync(string url)
    {
        var response = await Http.GetAsync(url);
        return await Page.ReadAsync(url, response);
    }

    /// <summary>Fills the form matched by <paramref name="formSelector"/> on <paramref name="page"/> and posts it.</summary>
    public async Task<Page> SubmitAsync(Page page, string formSelector, IDictionary<string, string>? fields = null)
    {
        var form = page.Document.QuerySelector(formSelector) as IHtmlFormElement
            ?? throw new InvalidOperationException($"No form '{formSelector}' on {page.Url}:\n{page.Html}");
        var values = FormValues(form);
        foreach (var (name, value) in fields ?? new Dictionary<string, string>())
        {
            values.RemoveAll(v => v.Key == name);
            values.Add(new(name, value));
        }
        var action = string.IsNullOrEmpty(form.GetAttribute("action")) ? page.Url : form.GetAttribute("action")!;
        var response = await Http.PostAsync(action, new FormUrlEncodedContent(values));
        return await Page.ReadAsync(action, response);
    }

    public async Task<Page> PostAsync(string url, HttpContent content)
    {
        var response = await Http.PostAsync(url, content);
        return await Page.ReadAsync(url, response);
    }

    /// <summary>Follows redirects (GET) the way a browser does after a form post.</summary>
    public async Task<Page> FollowAsync(Page page)
    {
        while (page.Status is HttpStatusCode.Redirect or HttpStatusCode.SeeOther or HttpStatusCode.Found or HttpStatusCode.TemporaryRedirect)
        {
            page = await GetAsync(page.Location!);
        }
        return page;
    }

    public async Task<Page> SignInAsync(string email, string password = PortalFactory.Password)
    {
        var form = await GetAsync("/account/sign-in");
        return await SubmitAsync(form, "form", new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password });
    }

    internal static List<KeyValuePair<string, string>> FormValues(IHtmlFormElement form)
    {
        var values = new List<KeyValuePair<string, string>>();
        foreach (var element in form.Elements)
        {
            var name = element.GetAttribute("name");
            if (string.IsNullOrEmpty(name))
            {
                continue;
            }
            switch (element)
            {
                case IHtmlInputElement { Type: "file" }:
                    break;
                case IHtmlInputElement { Type: "checkbox" or "radio" } box when !box.IsChecked:
                    break;
                case IHtmlInputElement input:
                    values.Add(new(name, input.Value));
                    break;
                case IHtmlSelectElement select:
                    values.Add(new(name, select.Value ?? ""));
                    break;
                case IHtmlTextAreaElement area:
                    values.Add(new(name, area.Value));
                    break;
            }
        }
        return values;
    }

    public void Dispose() => Http.Dispose();
}

public sealed record Page(string Url, HttpStatusCode Status, string? Location, string Html, IHtmlDocument Document)
{
    public static async Task<Page> ReadAsync(string url, HttpResponseMessage response)
    {
        var html = await response.Content.ReadAsStringAsync();
        var location = response.Headers.Location?.ToString();
        response.Dispose();
        return new Page(url, response.StatusCode, location, html, new HtmlParser().ParseDocument(html));
    }

    public string Text(string selector) =>
        Document.QuerySelector(selector)?.TextContent.Trim()
        ?? throw new InvalidOperationException($"No '{selector}' on {Url} ({(int)Status}):\n{Html}");

    public bool Has(string selector) => Document.QuerySelector(selector) is not null;
}
