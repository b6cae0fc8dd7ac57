package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// signUp calls POST /v1/accounts, so the demo account is made exactly as a
// real one is (settings defaults, welcome mail).
func signUp(ctx context.Context, baseURL, company, email, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"companyName": company, "email": email, "password": password, "plan": "corporate", "language": "en", "name": "Demo Administrator"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/v1/accounts", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("content-type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Account struct {
			ID string `json:"id"`
		} `json:"account"`
		Error json.RawMessage `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("sign-up answered %d: %s", resp.StatusCode, out.Error)
	}
	return out.Account.ID, nil
}
