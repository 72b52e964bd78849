-- Sign-up from an invitation link (issue 18): the invitee's account joins the inviting organisation
-- instead of creating one. The request keeps the invitation's token hash (never the token) until the
-- background job processes it; an empty organisation name goes with it.
ALTER TABLE sign_up_requests ADD COLUMN invitation_token_hash char(64);
